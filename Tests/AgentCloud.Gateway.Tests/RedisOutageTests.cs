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
        var (_, closedKey) = env.ControlPlane.AddKey("strict", "free", failMode: "closed");
        var (_, openKey) = env.ControlPlane.AddKey("lenient", "enterprise", failMode: "open");
        using var closed = _gateway.Client(closedKey);
        using var open = _gateway.Client(openKey);
        Assert.Equal(HttpStatusCode.OK, (await closed.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await open.GetAsync("/v1/models")).StatusCode);
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

                Assert.Equal(HttpStatusCode.OK, (await open.GetAsync("/v1/models")).StatusCode);
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

    public void Dispose() => _gateway.Dispose();
}
