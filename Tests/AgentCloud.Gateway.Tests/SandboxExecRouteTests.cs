using System.Net;
using System.Text;
using AgentCloud.Gateway.Limits;
using AgentCloud.Gateway.Proxy;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// <c>POST /v1/sandboxes/{id}/exec</c> outwaits the broker's longest exec and passes a streamed exec through event by
/// event. The Gateway here has a 1 s default idle timeout, so an exec silent for 3 s stands in for one past 100 s.
/// </summary>
public sealed class SandboxExecRouteTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private readonly GatewayFactory _gateway = env.NewGateway(new Dictionary<string, string?>
    {
        ["Gateway:Limits:UpstreamIdleTimeout"] = "00:00:01",
    });

    [Fact]
    public void The_exec_and_process_log_routes_idle_timeout_is_above_the_brokers_longest_exec_and_no_other_route_gets_it()
    {
        var config = _gateway.Services.GetRequiredService<IProxyConfigProvider>().GetConfig();
        var longRoutes = config.Routes.Where(r => r.Match.Path is "/v1/sandboxes/{id}/exec" or "/v1/sandboxes/{id}/processes/{pid}/logs").ToList();
        var timeoutOf = config.Clusters.ToDictionary(c => c.ClusterId, c => c.HttpRequest?.ActivityTimeout);

        Assert.Equal(2, longRoutes.Count);
        Assert.All(longRoutes, r => Assert.True(timeoutOf[r.ClusterId!] > TimeSpan.FromSeconds(SandboxExecLimits.DefaultMaxExecTimeoutSeconds)));
        Assert.True(new RequestLimitsOptions().SandboxExecIdleTimeout > TimeSpan.FromSeconds(SandboxExecLimits.DefaultMaxExecTimeoutSeconds));
        Assert.All(config.Routes.Except(longRoutes), r => Assert.Equal(TimeSpan.FromSeconds(1), timeoutOf[r.ClusterId!]));
    }

    [Fact]
    public async Task A_followed_process_log_arrives_event_by_event_through_the_long_running_route()
    {
        var (_, key) = env.ControlPlane.AddKey("process-logs");
        using var client = _gateway.Client(key);
        env.Upstream.ReleaseStream = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var response = await client.GetAsync("/v1/sandboxes/streaming/processes/1/logs?follow=true", HttpCompletionOption.ResponseHeadersRead, bound.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(bound.Token));
        var first = await reader.ReadLineAsync(bound.Token);
        await reader.ReadLineAsync(bound.Token);
        // Silent past the Gateway's 1 s default idle timeout before the exit event: only the long-running route outwaits it.
        await Task.Delay(TimeSpan.FromSeconds(2), bound.Token);
        env.Upstream.ReleaseStream.SetResult();
        var rest = await reader.ReadToEndAsync(bound.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("event: stdout", first);
        Assert.Contains("event: exit", rest);
    }

    [Fact]
    public async Task An_exec_silent_past_the_default_idle_timeout_completes_while_another_route_gets_504()
    {
        var (_, key) = env.ControlPlane.AddKey("exec-long");
        using var client = _gateway.Client(key);

        using var exec = await client.PostAsync("/v1/sandboxes/slow/exec", new StringContent("{}", Encoding.UTF8, "application/json"));
        using var other = await client.GetAsync("/v1/sandboxes/slow");

        Assert.Equal(HttpStatusCode.OK, exec.StatusCode);
        await Problem.AssertAsync(other, HttpStatusCode.GatewayTimeout, "did not answer in time");
    }

    [Fact]
    public async Task A_streamed_exec_arrives_event_by_event_with_a_context_for_the_broker_only()
    {
        var (_, key) = env.ControlPlane.AddKey("exec-stream");
        using var client = _gateway.Client(key);
        env.Upstream.ReleaseStream = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sandboxes/streaming/exec") { Content = new StringContent("{\"stream\":true}", Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bound.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(bound.Token));
        var first = await reader.ReadLineAsync(bound.Token);
        await reader.ReadLineAsync(bound.Token);
        // The upstream sends its exit event only now, so the first one crossed the Gateway while the "command" ran.
        env.Upstream.ReleaseStream.SetResult();
        var rest = await reader.ReadToEndAsync(bound.Token);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("event: stdout", first);
        Assert.Contains("event: exit", rest);
        var context = env.Upstream.LastFor("/v1/sandboxes/streaming/exec")!.Headers[TenantContextHeaders.Context];
        var claims = Encoding.UTF8.GetString(Convert.FromBase64String(Pad(context.Split('.')[1])));
        Assert.Contains($"\"aud\":\"{ServiceNames.SandboxBroker}\"", claims);
    }

    [Fact]
    public async Task A_port_request_reaches_the_broker_with_its_path_query_and_method_and_without_the_tenants_key()
    {
        var (_, key) = env.ControlPlane.AddKey("sandbox-port");
        using var client = _gateway.Client(key);

        using var get = await client.GetAsync("/v1/sandboxes/sb1/ports/8080/app/index.html?page=2");
        using var post = await client.PostAsync("/v1/sandboxes/sb1/ports/8080/api/items", new StringContent("{\"a\":1}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var seen = env.Upstream.LastFor("/v1/sandboxes/sb1/ports/8080/app/index.html")!;
        Assert.Equal("GET", seen.Method);
        Assert.DoesNotContain(key, string.Join('\n', seen.Headers.Values));
        Assert.Equal("POST", env.Upstream.LastFor("/v1/sandboxes/sb1/ports/8080/api/items")!.Method);
        Assert.True(RoutedPaths.IsRoutedTo(ServiceNames.SandboxBroker, "/v1/sandboxes/{id}/ports/{port}/{path}", "DELETE"));
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
    }

    public void Dispose() => _gateway.Dispose();
}
