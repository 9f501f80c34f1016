using System.Net;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;
using System.Globalization;

namespace AgentCloud.Gateway.Tests;

/// <summary>Two Gateway replicas on Kestrel sharing one Redis: limits and revocations hold across both.</summary>
public sealed class ReplicaTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private readonly GatewayFactory _a = env.NewGateway();
    private readonly GatewayFactory _b = env.NewGateway();

    [Fact]
    public async Task A_keys_own_request_limit_holds_across_both_replicas_and_leaves_its_sibling_keys_free()
    {
        var (_, limitedKey) = env.ControlPlane.AddKey("key-limited", keyRequestsPerMinute: 4);
        var (_, siblingKey) = env.ControlPlane.AddKey("key-limited");
        using var a = _a.Client(limitedKey);
        using var b = _b.Client(limitedKey);
        using var sibling = _b.Client(siblingKey);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => (i % 2 == 0 ? a : b).GetAsync("/v1/models")));

        Assert.Equal(4, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var limited = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        await Problem.AssertAsync(limited, HttpStatusCode.TooManyRequests, "This key's own limit of 4 requests per minute");
        Assert.Contains("key-rate-limited", await limited.Content.ReadAsStringAsync());
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await sibling.GetAsync("/v1/models")).StatusCode);
    }

    [Fact]
    public async Task A_key_past_its_expiry_is_refused_by_both_replicas_though_each_had_it_cached_and_no_event_was_sent()
    {
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(3);
        var (_, key) = env.ControlPlane.AddKey("expiring", expiresAt: expiresAt);
        using var a = _a.Client(key);
        using var b = _b.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/v1/models")).StatusCode);

        // The key caches hold it for 30 s; its expiry bounds each entry, so one second past it both refuse on the first try.
        var wait = expiresAt + TimeSpan.FromSeconds(1) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        await Problem.AssertAsync(await a.GetAsync("/v1/models"), HttpStatusCode.Unauthorized);
        await Problem.AssertAsync(await b.GetAsync("/v1/models"), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData(30, 10)]
    [InlineData(200, 256)] // large enough that each replica draws the bucket in leases of several tokens
    public async Task A_burst_of_3N_across_two_replicas_admits_at_most_N_plus_burst_not_N_per_replica(int perMinute, int burst)
    {
        var (_, key) = env.ControlPlane.AddKey($"bursty-{perMinute}", "free", perMinute, burst);
        using var a = _a.Client(key);
        using var b = _b.Client(key);

        var responses = await Task.WhenAll(Enumerable.Range(0, 3 * perMinute)
            .Select(i => (i % 2 == 0 ? a : b).GetAsync("/v1/models")));

        var admitted = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        var statuses = string.Join(", ", responses.GroupBy(r => (int)r.StatusCode).Select(g => $"{g.Key}: {g.Count()}"));
        // The lower bound only shows the bucket is not refusing everything (leased tokens left over at the end are dropped).
        Assert.True(admitted >= burst / 2 && admitted <= perMinute + burst, $"{admitted} admitted of {responses.Length} ({statuses}); expected {burst / 2} to {perMinute + burst}");
        // Separate buckets per replica would admit at least a full burst on each.
        Assert.True(admitted < 2 * burst, $"{admitted} admitted: the replicas did not share one bucket");
        Assert.Equal(responses.Length, admitted + limited.Count);
        foreach (var r in limited)
        {
            Assert.True(r.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "429 must say when to retry");
            Assert.Equal("0", r.Headers.GetValues("x-ratelimit-remaining-requests").Single());
            Assert.Equal(perMinute.ToString(CultureInfo.InvariantCulture), r.Headers.GetValues("x-ratelimit-limit-requests").Single());
        }
        await Problem.AssertAsync(limited[0], HttpStatusCode.TooManyRequests, "requests-per-minute");
    }

    [Fact]
    public async Task One_tenants_exhausted_bucket_does_not_limit_another_tenant()
    {
        var (_, greedy) = env.ControlPlane.AddKey("greedy", "free", 10, 2);
        var (_, quiet) = env.ControlPlane.AddKey("quiet", "free", 10, 2);
        using var greedyClient = _a.Client(greedy);
        using var quietClient = _b.Client(quiet);
        for (var i = 0; i < 6; i++)
        {
            await greedyClient.GetAsync("/v1/models");
        }

        var response = await quietClient.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.TooManyRequests, (await greedyClient.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_on_both_replicas_within_one_second()
    {
        var (keyId, key) = env.ControlPlane.AddKey("revokee");
        using var a = _a.Client(key);
        using var b = _b.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/v1/models")).StatusCode);
        var publisher = env.Redis.Connection.GetSubscriber();
        var channel = RedisChannel.Literal(PlatformChannels.KeyRevoked);
        // Both replicas are listening before the real message goes out.
        await AgentCloud.Tests.Shared.LocalProcess.WaitUntilAsync(async () => await publisher.PublishAsync(channel, "key_warmup") >= 2,
            TimeSpan.FromSeconds(10), "both replicas' revocation subscriptions");

        env.ControlPlane.Revoke(keyId);
        var published = System.Diagnostics.Stopwatch.StartNew();
        await publisher.PublishAsync(channel, keyId);
        bool refusedA = false, refusedB = false;
        while (published.Elapsed < TimeSpan.FromSeconds(1) && !(refusedA && refusedB))
        {
            refusedA = refusedA || (await a.GetAsync("/v1/models")).StatusCode == HttpStatusCode.Unauthorized;
            refusedB = refusedB || (await b.GetAsync("/v1/models")).StatusCode == HttpStatusCode.Unauthorized;
        }

        Assert.True(refusedA, "replica A still accepted the revoked key a second after the revocation message");
        Assert.True(refusedB, "replica B still accepted the revoked key a second after the revocation message");
        await Problem.AssertAsync(await a.GetAsync("/v1/models"), HttpStatusCode.Unauthorized, "revoked");
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
