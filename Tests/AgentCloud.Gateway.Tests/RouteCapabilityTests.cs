using System.Net;
using AgentCloud.Gateway.Proxy;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// Every route the running Gateway actually serves (read from its proxy configuration, not from a list here) × every
/// capability set: a key without the route's capability gets 403 problem+json naming it and nothing is forwarded; a key
/// with it is forwarded. A route without a capability entry fails this test.
/// </summary>
public sealed class RouteCapabilityTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private const string ProbeHeader = "x-test-probe";
    private static readonly string[] AllMethods = ["GET", "POST", "PUT", "DELETE"];
    private readonly GatewayFactory _gateway = env.NewGateway();

    /// <summary>Each fixed capability alone, one tool, none, and all of them.</summary>
    private static IEnumerable<IReadOnlyList<string>> CapabilitySets() =>
        CapabilityCatalogue.Fixed.Select(c => (IReadOnlyList<string>)[c])
            .Append(["tool:search"])
            .Append([])
            .Append([.. CapabilityCatalogue.Fixed, "tool:search"]);

    /// <summary>Every served API route: all but the console's, the one route anonymous by design (ConsoleRouteTests).</summary>
    private IReadOnlyList<RouteConfig> ServedRoutes() =>
        _gateway.Services.GetRequiredService<IProxyConfigProvider>().GetConfig().Routes.Where(r => !Console.ConsoleRoute.Is(r)).ToList();

    [Fact]
    public void The_console_is_the_only_served_route_without_a_capability_and_has_no_capability_to_grant()
    {
        var all = _gateway.Services.GetRequiredService<IProxyConfigProvider>().GetConfig().Routes;

        var console = Assert.Single(all, r => ProxyRoutes.CapabilityOf(r) is null);
        Assert.True(Console.ConsoleRoute.Is(console));
        Assert.Equal("/console/{**rest}", console.Match.Path);
        Assert.Equal(Console.ConsoleRateLimit.PolicyName, console.RateLimiterPolicy);
    }

    [Fact]
    public void Every_served_route_names_a_capability_from_the_catalogue()
    {
        var routes = ServedRoutes();

        Assert.NotEmpty(routes);
        Assert.All(routes, route =>
        {
            var capability = ProxyRoutes.CapabilityOf(route);
            Assert.True(capability is not null, $"route '{route.RouteId}' ({route.Match.Path}) has no capability entry");
            Assert.True(CapabilityCatalogue.Fixed.Contains(capability) || capability is CapabilityCatalogue.AnyTool or ProxyRoutes.Operator,
                $"route '{route.RouteId}' needs '{capability}', which is not in the catalogue");
        });
    }

    [Fact]
    public async Task Every_tenant_route_refuses_every_key_without_its_capability_and_forwards_every_key_with_it()
    {
        var failures = new List<string>();
        var keys = CapabilitySets().Select(set => (Set: set, Key: env.ControlPlane.AddKey("walker", capabilities: set).Key)).ToList();
        var tenantRoutes = ServedRoutes().Where(r => ProxyRoutes.CapabilityOf(r) != ProxyRoutes.Operator).ToList();
        Assert.NotEmpty(tenantRoutes);

        foreach (var route in tenantRoutes)
        {
            var required = ProxyRoutes.CapabilityOf(route)!;
            foreach (var method in route.Match.Methods ?? AllMethods)
            {
                foreach (var (set, key) in keys)
                {
                    var allowed = CapabilityCatalogue.Satisfies(set, required);
                    var (status, forwarded, body) = await CallAsync(route, method, key);
                    var what = $"{method} {route.Match.Path} with [{string.Join(", ", set)}]";
                    if (allowed && (status != HttpStatusCode.OK || !forwarded))
                    {
                        failures.Add($"{what}: expected forwarded, got {(int)status}");
                    }
                    if (!allowed && (status != HttpStatusCode.Forbidden || forwarded || !body.Contains("application/problem+json|", StringComparison.Ordinal)
                                     || !body.Contains(required == CapabilityCatalogue.AnyTool ? "tool:" : required, StringComparison.Ordinal)))
                    {
                        failures.Add($"{what}: expected 403 problem naming '{required}', got {(int)status} {(forwarded ? "forwarded" : "")} {body}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Operator_routes_refuse_every_tenant_key_and_admit_the_operator()
    {
        var keys = CapabilitySets().Select(set => env.ControlPlane.AddKey("walker", capabilities: set).Key).ToList();
        var operatorRoutes = ServedRoutes().Where(r => ProxyRoutes.CapabilityOf(r) == ProxyRoutes.Operator).ToList();
        Assert.NotEmpty(operatorRoutes);

        foreach (var route in operatorRoutes)
        {
            foreach (var key in keys)
            {
                var (status, forwarded, _) = await CallAsync(route, "GET", key);
                // 429 once this address has failed too often (see AbuseResistanceTests).
                Assert.True(status is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"{route.Match.Path}: {(int)status}");
                Assert.False(forwarded);
            }
            var (operatorStatus, operatorForwarded, _) = await CallAsync(route, "GET", GatewayFactory.AdminKey);
            Assert.Equal(HttpStatusCode.OK, operatorStatus);
            Assert.True(operatorForwarded);
        }
    }

    [Fact]
    public async Task Memory_search_needs_memory_read_and_memory_writes_need_memory_write()
    {
        var (_, reader) = env.ControlPlane.AddKey("memory-reader", capabilities: [CapabilityCatalogue.MemoryRead]);
        using var client = _gateway.Client(reader);

        var search = await client.PostAsync("/v1/memory/notes/search", new StringContent("{}"));
        var upsert = await client.PutAsync("/v1/memory/notes/points", new StringContent("{}"));
        var delete = await client.DeleteAsync("/v1/memory/notes");

        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        await Problem.AssertAsync(upsert, HttpStatusCode.Forbidden, "memory:write");
        await Problem.AssertAsync(delete, HttpStatusCode.Forbidden, "memory:write");
    }

    [Fact]
    public async Task A_memory_read_key_cannot_chat_and_a_run_style_key_cannot_touch_the_vault()
    {
        var (_, reader) = env.ControlPlane.AddKey("issue-15", capabilities: [CapabilityCatalogue.MemoryRead]);
        var (_, run) = env.ControlPlane.AddKey("issue-15", capabilities: [CapabilityCatalogue.Inference, CapabilityCatalogue.MemoryRead, CapabilityCatalogue.MemoryWrite]);
        using var readerClient = _gateway.Client(reader);
        using var runClient = _gateway.Client(run);

        var chat = await readerClient.PostAsync("/v1/chat/completions", new StringContent("{}"));
        var put = await runClient.PutAsync("/v1/credentials/github", new StringContent("{\"secret\":\"mine now\"}"));
        var delete = await runClient.DeleteAsync("/v1/credentials/github");

        await Problem.AssertAsync(chat, HttpStatusCode.Forbidden, "'inference'");
        await Problem.AssertAsync(put, HttpStatusCode.Forbidden, "'credentials:write'");
        await Problem.AssertAsync(delete, HttpStatusCode.Forbidden, "'credentials:write'");
    }

    private async Task<(HttpStatusCode Status, bool Forwarded, string Body)> CallAsync(RouteConfig route, string method, string key)
    {
        var path = route.Match.Path!.Replace("{**rest}", "probe").Replace("{collection}", "probe");
        var probe = Guid.NewGuid().ToString("N");
        using var client = _gateway.Client(key);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add(ProbeHeader, probe);
        if (method is "POST" or "PUT")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }
        using var response = await client.SendAsync(request);
        var body = (response.Content.Headers.ContentType?.MediaType ?? "") + "|" + await response.Content.ReadAsStringAsync();
        var forwarded = env.Upstream.Seen.Any(s => s.Headers.TryGetValue(ProbeHeader, out var p) && p == probe)
                        || env.ControlPlane.Seen.Any(h => h.TryGetValue(ProbeHeader, out var p) && p == probe);
        return (response.StatusCode, forwarded, body);
    }

    public void Dispose() => _gateway.Dispose();
}
