using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Scheduling;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.InferenceRouter.Tests.Scheduling;

/// <summary>
/// Replicas sharing an endpoint when a replica goes silent or Redis goes away: a silent replica's slots return to the
/// others once its lease ends; a replica that cannot reach Redis keeps its share until its lease ends, then admits a
/// local share, and never hangs a call or throws. Own Redis: these tests freeze and kill it.
/// </summary>
public sealed class ReplicaRedisAwayTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly ReplicaShareOptions Quick = new() { HeartbeatTimeout = TimeSpan.FromMilliseconds(300), LeaseTtl = TimeSpan.FromSeconds(3) };
    private readonly FakeTimeProvider _time = new();
    private readonly string _endpoint = "away-" + Guid.NewGuid().ToString("N");

    private SharedReplica Replica(string id, ReplicaShareOptions options) => new(redis.Connection, _endpoint, id, _time, 8, options);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await redis.ResumeAsync(); // a failed test must not leave the next one a frozen server

    [Fact]
    public async Task A_replica_that_stops_heartbeating_has_its_slots_reclaimed_once_its_lease_ends()
    {
        // A long lease: the first check below must hold however slowly this machine runs the real-clock lease in Redis.
        var longLease = new ReplicaShareOptions { HeartbeatTimeout = TimeSpan.FromSeconds(30), LeaseTtl = TimeSpan.FromMinutes(5) };
        var a = Replica("a", longLease);
        var b = Replica("b", longLease);
        await a.SubmitAsync("heavy", 20);
        await b.SubmitAsync("heavy", 20);
        for (var i = 0; i < 3; i++)
        {
            await a.SyncAsync();
            await b.SyncAsync();
            await a.CompleteRunningAsync();
            await b.CompleteRunningAsync();
        }
        Assert.Equal((4, 4), (a.Scheduler.Capacity, b.Scheduler.Capacity));

        // a dies: no more heartbeats. Within its lease, b may not take its slots.
        _time.Advance(TimeSpan.FromSeconds(2));
        await b.SyncAsync();
        Assert.Equal(4, b.Scheduler.Capacity);

        await a.EndLeaseInRedisAsync();
        await b.SyncAsync();
        Assert.Equal(8, b.Scheduler.Capacity);
        var held = await redis.Connection.GetDatabase().HashGetAllAsync($"router:sched:{{{_endpoint}}}:held");
        Assert.Equal(["b"], held.Select(e => (string)e.Name!));
    }

    [Fact]
    public async Task With_redis_frozen_a_replica_keeps_its_share_until_the_lease_ends_then_admits_a_local_share_without_hanging()
    {
        var a = Replica("a", Quick);
        await a.SyncAsync();
        Assert.Equal((ShareMode.Shared, 8), (a.Share.Mode, a.Scheduler.Capacity));

        await redis.PauseAsync();
        try
        {
            await a.SyncAsync(); // answers after HeartbeatTimeout instead of hanging, and does not throw
            Assert.Equal((ShareMode.Shared, 8), (a.Share.Mode, a.Scheduler.Capacity));

            _time.Advance(Quick.LeaseTtl);
            await a.SyncAsync();
            Assert.Equal((ShareMode.LocalOnly, 4), (a.Share.Mode, a.Scheduler.Capacity)); // 8 / ReplicasWhenRedisIsAway (2)

            await a.SubmitAsync("heavy", 10);
            Assert.Equal(3, a.Scheduler.InFlight); // the local share, one slot kept for a newcomer
            await a.SubmitAsync("light");
            Assert.Equal(4, a.Scheduler.InFlight);
        }
        finally
        {
            await redis.ResumeAsync();
        }

        await a.SyncAsync();
        Assert.Equal(ShareMode.Shared, a.Share.Mode);
        Assert.Equal(8, a.Scheduler.Capacity);
    }

    [Fact]
    public async Task A_replica_that_starts_while_redis_is_down_admits_a_local_share_at_its_first_heartbeat()
    {
        var a = Replica("a", Quick);
        await a.SubmitAsync("heavy", 5);
        Assert.Equal(0, a.Scheduler.InFlight); // no share before the first heartbeat

        await redis.StopAsync();
        try
        {
            await a.SyncAsync();
            Assert.Equal((ShareMode.LocalOnly, 4), (a.Share.Mode, a.Scheduler.Capacity));
            Assert.Equal(3, a.Scheduler.InFlight);
        }
        finally
        {
            await redis.StartAsync();
        }
    }
}
