using System.Diagnostics;
using System.Net;
using AgentCloud.Gateway.Telemetry;

namespace AgentCloud.Gateway.Tests;

/// <summary>Redis stopped under a running Gateway: each tier's fail mode applies, quickly, and limits return with Redis.</summary>
public sealed class RedisOutageTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private readonly GatewayFactory _gateway = env.NewGateway(new Dictionary<string, string?> { ["Gateway:RateLimitDeadline"] = "00:00:00.020" });

    [Fact]
    public async Task While_redis_is_down_closed_tiers_get_503_quickly_and_open_tiers_pass_and_are_counted()
    {
        // Buckets small enough to be drawn one token per decision, so no leased tokens outlive Redis.
        var (_, closedKey) = env.ControlPlane.AddKey("strict", "free", 1000, 100, failMode: "closed");
        var (_, openKey) = env.ControlPlane.AddKey("lenient", "enterprise", 1000, 100, failMode: "open");
        using var closed = _gateway.Client(closedKey);
        using var open = _gateway.Client(openKey);
        await AssertPassesAsync(closed);
        await AssertPassesAsync(open);
        using var failOpen = _gateway.Counter(GatewayMetrics.FailOpenCounter);

        await env.Redis.StopAsync();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var clock = Stopwatch.StartNew();
                var refused = await closed.GetAsync("/v1/models");
                var answeredIn = clock.Elapsed;
                await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "rate limit could not be checked");
                Assert.True(answeredIn < TimeSpan.FromSeconds(1), $"a closed tier waited {answeredIn.TotalMilliseconds:0} ms for Redis");

                await AssertPassesAsync(open);
            }
            Assert.Equal(5, failOpen.Total);
        }
        finally
        {
            await env.Redis.StartAsync();
        }
    }

    [Fact]
    public async Task After_redis_returns_limits_apply_again()
    {
        var (_, key) = env.ControlPlane.AddKey("returning", "free", requestsPerMinute: 6, burst: 2);
        using var client = _gateway.Client(key);
        await env.Redis.StopAsync();
        await env.Redis.StartAsync();

        var sawLimit = false;
        var clock = Stopwatch.StartNew();
        while (!sawLimit && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            sawLimit = (await client.GetAsync("/v1/models")).StatusCode == HttpStatusCode.TooManyRequests;
            await Task.Delay(20);
        }

        Assert.True(sawLimit, "no 429 within 30 s of Redis coming back");
    }

    private static async Task AssertPassesAsync(HttpClient client)
    {
        var response = await client.GetAsync("/v1/models");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public void Dispose() => _gateway.Dispose();
}
