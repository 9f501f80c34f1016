using System.Net;
using System.Net.Sockets;
using AgentCloud.Gateway.Console;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// <c>/console</c> is forwarded to the Console service without a key (the console signs its users in itself), limited
/// per client address before anything reaches it, and never handed the caller's key or anything that could pass for a
/// platform header. Tried as a hostile browser would: a stolen key, forged contexts and a spoofed forwarding header.
/// </summary>
public sealed class ConsoleRouteTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>
{
    private GatewayFactory NewGateway(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["Services:console:http:0"] = env.Upstream.Url };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }
        return env.NewGateway(settings);
    }

    [Fact]
    public async Task The_console_is_served_without_a_key_even_to_a_caller_sending_a_malformed_one()
    {
        using var gateway = NewGateway();
        using var anonymous = gateway.Client();
        using var garbage = gateway.Client("not-a-key");
        var path = $"/console/signin-{Guid.NewGuid():N}";

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await garbage.GetAsync(path + "?again")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/console")).StatusCode);
        // Forwarded under its own path: the console's path base is /console.
        Assert.NotNull(env.Upstream.LastFor(path));
        Assert.NotNull(env.Upstream.LastFor("/console"));
    }

    [Fact]
    public async Task The_console_never_receives_the_callers_key_a_tenant_context_or_any_platform_header()
    {
        var (_, key) = env.ControlPlane.AddKey("console-visitor");
        using var gateway = NewGateway(new() { ["Services:controlplane:http:0"] = env.ControlPlane.Url });
        using var client = gateway.Client(key);
        var path = $"/console/tenants-{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("Input.Key=x") };
        request.Headers.TryAddWithoutValidation("x-agentcloud-context", "forged.context.token");
        request.Headers.TryAddWithoutValidation("x-agentcloud-context-for-controlplane", "forged");
        request.Headers.TryAddWithoutValidation("x-agentcloud-lane", "batch");
        request.Headers.TryAddWithoutValidation("X-Tenant-Id", "t_other");
        request.Content.Headers.TryAddWithoutValidation("x-agentcloud-revoked-keys", "key_1");

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);

        var seen = env.Upstream.LastFor(path);
        Assert.NotNull(seen);
        Assert.False(seen.Headers.ContainsKey("authorization"), "the caller's key reached the console");
        Assert.DoesNotContain(seen.Headers.Keys, h => h.StartsWith("x-agentcloud-", StringComparison.Ordinal) || h.StartsWith("x-tenant-", StringComparison.Ordinal));
        Assert.DoesNotContain(seen.Headers.Values, v => v.Contains(key, StringComparison.Ordinal));
        // The Gateway's own host, so the console's redirects come back through the Gateway.
        Assert.Equal(gateway.Address.Authority, seen.Headers["host"]);
    }

    [Fact]
    public async Task The_console_is_told_the_callers_real_address_never_one_the_caller_claims()
    {
        using var gateway = NewGateway();
        using var client = gateway.Client();
        var path = $"/console/signin-{Guid.NewGuid():N}";
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, path);
        spoofed.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.7, 198.51.100.1");

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(spoofed)).StatusCode);

        // The console's per-client sign-in limit keys on this header: it must be the Gateway's word alone.
        var seen = env.Upstream.LastFor(path);
        Assert.NotNull(seen);
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(seen.Headers["x-forwarded-for"])), seen.Headers["x-forwarded-for"]);
    }

    [Fact]
    public async Task An_address_asking_for_the_console_too_often_gets_429_before_the_console_is_asked_while_another_address_is_served()
    {
        using var gateway = NewGateway(new() { ["Console:RequestsPerMinute"] = "3" });
        using var client = gateway.Client();
        var path = $"/console/page-{Guid.NewGuid():N}";
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
        }
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, path);
        spoofed.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.7");

        var refused = await client.SendAsync(spoofed);

        await Problem.AssertAsync(refused, HttpStatusCode.TooManyRequests, "console");
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(3, env.Upstream.Seen.Count(s => s.Path == path));
        // Another client address (127.0.0.2 is loopback too) has its own allowance.
        using var other = FromAddress(gateway, IPAddress.Parse("127.0.0.2"));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(path)).StatusCode);
        // The documentation keeps its own allowance as well.
        Assert.NotEqual(HttpStatusCode.TooManyRequests, (await client.GetAsync("/docs/")).StatusCode);
    }

    [Fact]
    public void The_console_route_is_not_part_of_the_public_api_table()
    {
        Assert.DoesNotContain(Proxy.ProxyRoutes.Routes, r => r.RouteId == ConsoleRoute.RouteId);
        Assert.Null(Proxy.RoutedPaths.RouteOf("/console/tenants"));
    }

    private static HttpClient FromAddress(GatewayFactory gateway, IPAddress local)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = gateway.Address };
    }
}
