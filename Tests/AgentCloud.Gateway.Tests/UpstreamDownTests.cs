using System.Net;
using AgentCloud.Tests.Shared;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// A service whose process is down (restarting after a crash) is a passing outage: the caller gets 503 with
/// Retry-After and a problem body, never the forwarder's bare 502, so a client knows to come back.
/// </summary>
public sealed class UpstreamDownTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    // A loopback port nothing listens on: the router's process is gone.
    private readonly GatewayFactory _gateway = env.NewGateway(new Dictionary<string, string?>
    {
        ["Services:inference-router:http:0"] = $"http://127.0.0.1:{LocalProcess.FreePort()}",
    });

    [Fact]
    public async Task A_call_to_a_service_that_is_down_is_answered_503_with_retry_after()
    {
        var (_, key) = env.ControlPlane.AddKey("crash");
        using var client = _gateway.Client(key);

        var response = await client.PostAsync("/v1/chat/completions", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "retry");
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        Assert.Contains("upstream-unavailable", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_service_that_is_up_is_still_reached()
    {
        var (_, key) = env.ControlPlane.AddKey("fine");
        using var client = _gateway.Client(key);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/sandboxes")).StatusCode);
    }

    public void Dispose() => _gateway.Dispose();
}
