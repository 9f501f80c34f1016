using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.InferenceRouter.Tests.Scheduling;

/// <summary>
/// Two router replicas' schedulers for one shared endpoint, sharing its slots and the tenants' counters through a real
/// Redis. Heartbeats and call completions are driven by hand (a "round" is every running call finishing), so the
/// assertions are on counts and dispatch order, never on times.
/// </summary>
public sealed class ReplicaSharingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private readonly FakeTimeProvider _time = new();
    private readonly string _endpoint = "shared-" + Guid.NewGuid().ToString("N");

    private SharedReplica Replica(string id, int maxInFlight) => new(redis.Connection, _endpoint, id, _time, maxInFlight);

    private async Task<int> HeldInRedisAsync() =>
        (await redis.Connection.GetDatabase().HashGetAllAsync($"router:sched:{{{_endpoint}}}:held")).Sum(e => (int)e.Value);

    /// <summary>Completes every running call on the replica and sends the same tenants' calls again (closed-loop clients).</summary>
    private static async Task RoundAsync(SharedReplica replica, string? onlyResubmit = null)
    {
        foreach (var tenant in await replica.CompleteRunningAsync())
        {
            if (onlyResubmit is null || tenant == onlyResubmit)
            {
                await replica.SubmitAsync(tenant);
            }
        }
    }

    [Fact]
    public async Task Two_replicas_together_never_run_more_calls_than_the_endpoint_allows_whatever_the_interleaving()
    {
        var a = Replica("a", 4);
        var b = Replica("b", 4);
        await a.SubmitAsync("heavy", 50);
        await a.SubmitAsync("light", 5);
        await b.SubmitAsync("heavy", 50);
        var random = new Random(20);

        for (var step = 0; step < 400; step++)
        {
            switch (random.Next(5))
            {
                case 0: await a.SyncAsync(); break;
                case 1: await b.SyncAsync(); break;
                case 2: await RoundAsync(a); break;
                case 3: await RoundAsync(b); break;
                default: _time.Advance(TimeSpan.FromMilliseconds(10)); break;
            }
            Assert.True(a.Scheduler.InFlight + b.Scheduler.InFlight <= 4, $"step {step}: {a.Scheduler.InFlight} + {b.Scheduler.InFlight} calls in flight on a 4-slot endpoint");
            Assert.True(await HeldInRedisAsync() <= 4, $"step {step}: the replicas hold more than 4 slots in Redis");
        }

        // Both stay backlogged, so after a few heartbeats the slots are split evenly.
        for (var i = 0; i < 4; i++)
        {
            await a.SyncAsync();
            await b.SyncAsync();
            await RoundAsync(a);
            await RoundAsync(b);
        }
        Assert.Equal((2, 2), (a.Scheduler.Capacity, b.Scheduler.Capacity));
    }

    [Fact]
    public async Task A_replica_alone_gets_the_whole_endpoint_and_gives_half_back_when_a_second_one_has_calls()
    {
        var a = Replica("a", 8);
        await a.SubmitAsync("heavy", 20);
        await a.SyncAsync();
        Assert.Equal(8, a.Scheduler.Capacity);
        Assert.Equal(7, a.Scheduler.InFlight); // one slot kept for a tenant with nothing in flight

        var b = Replica("b", 8);
        await b.SubmitAsync("heavy", 20);
        await b.SyncAsync();
        Assert.Equal(0, b.Scheduler.Capacity); // a still runs 7 calls: b may not start any yet

        await a.SyncAsync();
        await RoundAsync(a);
        await a.SyncAsync(); // reports that it has drained to its new share
        await b.SyncAsync();
        Assert.Equal(4, a.Scheduler.Capacity);
        Assert.Equal(4, b.Scheduler.Capacity);
        Assert.True(a.Scheduler.InFlight + b.Scheduler.InFlight <= 8);
    }

    [Fact]
    public async Task A_light_tenant_spread_over_both_replicas_beside_a_ten_times_heavier_one_never_waits_a_round()
    {
        var a = Replica("a", 4);
        var b = Replica("b", 4);
        await a.SubmitAsync("heavy", 5); // ten clients, each with one call outstanding, half on each replica
        await b.SubmitAsync("heavy", 5);
        for (var i = 0; i < 3; i++)
        {
            await a.SyncAsync();
            await b.SyncAsync();
            await RoundAsync(a);
            await RoundAsync(b);
        }

        var waitedRounds = 0;
        for (var round = 0; round < 60; round++)
        {
            var target = round % 2 == 0 ? a : b; // the load balancer alternates the light tenant's calls
            await target.SubmitAsync("light");
            if (target.Waiting("light") > 0)
            {
                waitedRounds++;
            }
            if (round % 3 == 0) // heartbeats are rarer than calls finish
            {
                await a.SyncAsync();
                await b.SyncAsync();
            }
            await RoundAsync(a, "heavy");
            await RoundAsync(b, "heavy");
        }

        Assert.Equal(0, waitedRounds);
        Assert.Equal(60, a.Dispatched.Count(t => t == "light") + b.Dispatched.Count(t => t == "light"));
        var heavy = a.Dispatched.Count(t => t == "heavy") + b.Dispatched.Count(t => t == "heavy");
        Assert.True(heavy >= 60, $"the heavy tenant was served {heavy} calls in 60 rounds");
    }

    [Fact]
    public async Task A_light_tenant_on_one_replica_gets_half_the_endpoint_beside_a_heavy_tenant_on_both()
    {
        var a = Replica("a", 8);
        var b = Replica("b", 8);
        await a.SubmitAsync("light", 10);
        await a.SubmitAsync("heavy", 50);
        await b.SubmitAsync("heavy", 50);

        var served = new Dictionary<string, int> { ["light"] = 0, ["heavy"] = 0 };
        for (var round = 0; round < 80; round++)
        {
            if (round % 3 == 0)
            {
                await a.SyncAsync();
                await b.SyncAsync();
            }
            foreach (var (replica, tenant) in (await a.CompleteRunningAsync()).Select(t => (a, t)).Concat((await b.CompleteRunningAsync()).Select(t => (b, t))))
            {
                if (round >= 20) // after the shares and counters have settled
                {
                    served[tenant]++;
                }
                await replica.SubmitAsync(tenant); // closed-loop clients: both tenants stay backlogged
            }
        }

        var lightShare = (double)served["light"] / (served["light"] + served["heavy"]);
        Assert.InRange(lightShare, 0.46, 0.54);
    }
}
