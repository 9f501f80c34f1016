using AgentCloud.Gateway.RateLimiting;
using AgentCloud.Tests.Shared;
using StackExchange.Redis;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// The Gateway's local lease of a large bucket: most requests spend a token this replica already took from Redis, with
/// one script call at a time per tenant refilling it ahead of need, and still no more admitted than the bucket gave out.
/// </summary>
public sealed class TokenLeaseTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Concurrent_callers_of_a_large_bucket_share_leases_instead_of_each_asking_redis()
    {
        var buckets = new RedisTokenBucket(redis.Connection, TimeProvider.System);
        var before = await ScriptCallsAsync();

        // 32 callers at once, 20 calls each, against a bucket large enough never to refuse them.
        var decisions = await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            var mine = new List<RateLimitDecision>();
            for (var i = 0; i < 20; i++)
            {
                mine.Add(await buckets.TryTakeAsync("lease-steady", 1_000_000, 1_000_000, TimeSpan.FromSeconds(5), CancellationToken.None));
            }
            return mine;
        }));

        var calls = await ScriptCallsAsync() - before;
        Assert.All(decisions.SelectMany(d => d), d => Assert.Equal(RateLimitOutcome.Allowed, d.Outcome));
        // 640 admissions in leases of 32: a script call per request would be 640.
        Assert.True(calls <= 640 / 4, $"{calls} script calls for 640 admitted requests");
    }

    [Fact]
    public async Task A_leased_bucket_admits_no_more_than_it_holds_however_many_callers_race_for_it()
    {
        var buckets = new RedisTokenBucket(redis.Connection, TimeProvider.System);
        // 1,024 tokens, refilled at one a minute: in this test the bucket is what there is.
        const int capacity = 1_024;

        var decisions = await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            var mine = new List<RateLimitDecision>();
            for (var i = 0; i < 40; i++)
            {
                mine.Add(await buckets.TryTakeAsync("lease-race", 1, capacity, TimeSpan.FromSeconds(5), CancellationToken.None));
            }
            return mine;
        }));

        var all = decisions.SelectMany(d => d).ToList();
        Assert.DoesNotContain(all, d => d.Outcome == RateLimitOutcome.Undecided);
        var admitted = all.Count(d => d.Outcome == RateLimitOutcome.Allowed);
        Assert.True(admitted <= capacity + 1, $"{admitted} admitted from a bucket of {capacity}");
        // Leased tokens are lost only when a lease expires, which 2,560 back-to-back calls leave no time for.
        Assert.True(admitted >= capacity - 2 * RedisTokenBucket.LeaseSize(capacity), $"only {admitted} admitted from a bucket of {capacity}");
    }

    [Fact]
    public async Task Two_replicas_whose_leases_grow_under_load_never_admit_more_than_the_shared_bucket_holds()
    {
        // Two Gateways on one Redis; a bucket big enough for leases to grow to their largest (256), refilled at one a minute.
        RedisTokenBucket[] replicas = [new(redis.Connection, TimeProvider.System), new(redis.Connection, TimeProvider.System)];
        const int capacity = 32_768;
        Assert.Equal(256, RedisTokenBucket.MaxLeaseSize(capacity));

        var decisions = await Task.WhenAll(replicas.SelectMany(replica => Enumerable.Range(0, 32).Select(async _ =>
        {
            var mine = new List<RateLimitDecision>();
            for (var i = 0; i < 1_200; i++)
            {
                mine.Add(await replica.TryTakeAsync("lease-two-replicas", 1, capacity, TimeSpan.FromSeconds(5), CancellationToken.None));
            }
            return mine;
        })));

        var all = decisions.SelectMany(d => d).ToList();
        Assert.DoesNotContain(all, d => d.Outcome == RateLimitOutcome.Undecided);
        var admitted = all.Count(d => d.Outcome == RateLimitOutcome.Allowed);
        Assert.True(admitted <= capacity + 1, $"{admitted} admitted from a bucket of {capacity}");
        // Each replica holds at most two leases it has not spent; nothing else is lost.
        Assert.True(admitted >= capacity - 2 * 2 * RedisTokenBucket.MaxLeaseSize(capacity), $"only {admitted} admitted from a bucket of {capacity}");
    }

    private async Task<long> ScriptCallsAsync()
    {
        // INFO is an admin command: a connection of the test's own that may send it.
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var stats = (await server.InfoAsync("commandstats")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        return new[] { "cmdstat_eval", "cmdstat_evalsha" }.Sum(name => stats.TryGetValue(name, out var v) ? ParseCalls(v) : 0);
    }

    private static long ParseCalls(string stat) =>
        long.Parse(stat.Split(',').First(p => p.StartsWith("calls=", StringComparison.Ordinal))["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
}
