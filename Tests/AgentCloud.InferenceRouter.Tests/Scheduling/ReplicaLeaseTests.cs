using System.ComponentModel.DataAnnotations;
using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Scheduling;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.InferenceRouter.Tests.Scheduling;

/// <summary>
/// A replica's share lasts only as long as its lease, whether or not a heartbeat failed: once the lease ends the others
/// may take its slots, so a replica whose heartbeats are merely slow must stop admitting at its old share.
/// </summary>
public sealed class ReplicaLeaseTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private readonly FakeTimeProvider _time = new();
    private readonly string _endpoint = "lease-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task A_replica_whose_next_heartbeat_has_not_answered_when_its_lease_ends_shrinks_to_the_local_share()
    {
        var a = new SharedReplica(redis.Connection, _endpoint, "a", _time, 8);
        await a.SyncAsync();
        Assert.Equal((ShareMode.Shared, 8), (a.Share.Mode, a.Scheduler.Capacity));

        _time.Advance(SharedReplica.Patient.LeaseTtl - TimeSpan.FromMilliseconds(1));
        Assert.Equal((ShareMode.Shared, 8), (a.Share.Mode, a.Scheduler.Capacity));

        _time.Advance(TimeSpan.FromMilliseconds(1)); // no heartbeat ran, none failed: the lease alone ends the share
        Assert.Equal((ShareMode.LocalOnly, 4), (a.Share.Mode, a.Scheduler.Capacity));

        await a.SyncAsync();
        Assert.Equal((ShareMode.Shared, 8), (a.Share.Mode, a.Scheduler.Capacity));
    }

    [Fact]
    public async Task Once_its_lease_ends_a_replica_never_admits_its_old_share_beside_one_that_took_the_slots()
    {
        var a = new SharedReplica(redis.Connection, _endpoint, "a", _time, 8);
        var b = new SharedReplica(redis.Connection, _endpoint, "b", _time, 8);
        await a.SubmitAsync("heavy", 20);
        await a.SyncAsync();
        await a.CompleteRunningAsync();
        Assert.Equal(8, a.Scheduler.Capacity);

        _time.Advance(SharedReplica.Patient.LeaseTtl); // a's heartbeat is slow; b takes the endpoint
        await a.EndLeaseInRedisAsync();
        await b.SubmitAsync("heavy", 20);
        await b.SyncAsync();

        Assert.Equal(8, b.Scheduler.Capacity);
        Assert.True(a.Scheduler.Capacity < 8, $"a still admits {a.Scheduler.Capacity} of 8 beside b's 8");
    }

    [Theory]
    [InlineData(100, 500, 3000, true)]
    [InlineData(100, 1400, 3000, true)]
    [InlineData(100, 1500, 3000, false)]
    [InlineData(1000, 500, 1500, false)]
    public void A_heartbeat_timeout_too_close_to_the_lease_is_refused_at_start(int intervalMs, int timeoutMs, int leaseMs, bool valid)
    {
        var options = new ReplicaShareOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(intervalMs),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(timeoutMs),
            LeaseTtl = TimeSpan.FromMilliseconds(leaseMs),
        };
        var errors = new List<ValidationResult>();

        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true));
        Assert.Equal(valid, errors.Count == 0);
    }

    [Fact]
    public async Task Leases_run_on_redis_clock_so_a_replica_whose_wall_clock_lags_years_behind_keeps_its_share()
    {
        var behind = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var a = new SharedReplica(redis.Connection, _endpoint, "a", behind, 8);
        var b = new SharedReplica(redis.Connection, _endpoint, "b", new FakeTimeProvider(DateTimeOffset.UtcNow), 8);
        await a.SubmitAsync("heavy", 20);
        await b.SubmitAsync("heavy", 20);

        await a.SyncAsync();
        await b.SyncAsync(); // stamped with its own clock, a's lease would look decades over and b would take all 8

        var live = await redis.Connection.GetDatabase().SortedSetRangeByRankAsync($"router:sched:{{{_endpoint}}}:live");
        Assert.Equal(["a", "b"], live.Select(r => (string)r!).Order());
        Assert.True(a.Scheduler.Capacity + b.Scheduler.Capacity <= 8, $"{a.Scheduler.Capacity} + {b.Scheduler.Capacity} slots of 8");
    }

    [Fact]
    public async Task With_fewer_slots_than_replicas_the_slot_changes_hands_between_lease_periods()
    {
        // A short lease so turns change within a bounded number of rounds; local leases run on the fake clock and never end.
        var quickTurns = new ReplicaShareOptions { HeartbeatTimeout = TimeSpan.FromSeconds(30), LeaseTtl = TimeSpan.FromMilliseconds(500) };
        var a = new SharedReplica(redis.Connection, _endpoint, "a", _time, 1, quickTurns);
        var b = new SharedReplica(redis.Connection, _endpoint, "b", _time, 1, quickTurns);
        await a.SubmitAsync("heavy", 10_000);
        await b.SubmitAsync("heavy", 10_000);

        for (var round = 0; round < 400 && (a.Dispatched.Count == 0 || b.Dispatched.Count == 0); round++)
        {
            await a.SyncAsync();
            await b.SyncAsync();
            Assert.True(a.Scheduler.InFlight + b.Scheduler.InFlight <= 1, "both replicas ran a call on a one-slot endpoint");
            await a.CompleteRunningAsync();
            await b.CompleteRunningAsync();
            await Task.Delay(10); // lets Redis's clock move on to the next lease period
        }

        Assert.NotEmpty(a.Dispatched);
        Assert.NotEmpty(b.Dispatched); // the lowest id won every tie before, so b never got the slot
    }

    [Fact]
    public async Task A_replica_stopping_with_nothing_in_flight_gives_its_slots_back_at_once()
    {
        var a = new SharedReplica(redis.Connection, _endpoint, "a", _time, 8);
        var b = new SharedReplica(redis.Connection, _endpoint, "b", _time, 8);
        await a.SubmitAsync("heavy", 2);
        await b.SubmitAsync("heavy", 20);
        await a.SyncAsync();
        await b.SyncAsync();
        await a.CompleteRunningAsync();

        await a.Share.LeaveAsync(CancellationToken.None);
        await a.SubmitAsync("late");
        await b.SyncAsync();

        Assert.Equal((0, 0), (a.Scheduler.Capacity, a.Scheduler.InFlight)); // a admits nothing after leaving
        Assert.Equal(8, b.Scheduler.Capacity);
    }

    [Fact]
    public async Task A_replica_stopping_with_calls_in_flight_keeps_its_slots_held_until_its_lease_ends()
    {
        var a = new SharedReplica(redis.Connection, _endpoint, "a", _time, 8);
        var b = new SharedReplica(redis.Connection, _endpoint, "b", _time, 8);
        await a.SubmitAsync("heavy", 20);
        await b.SubmitAsync("heavy", 20);
        await a.SyncAsync();
        await b.SyncAsync();
        await a.SyncAsync();
        Assert.True(a.Scheduler.InFlight > 0);

        await a.Share.LeaveAsync(CancellationToken.None);
        await b.SyncAsync();

        var held = await redis.Connection.GetDatabase().HashGetAllAsync($"router:sched:{{{_endpoint}}}:held");
        Assert.Contains("a", held.Select(e => (string)e.Name!));
        Assert.True(b.Scheduler.Capacity + a.Scheduler.InFlight <= 8, $"b may admit {b.Scheduler.Capacity} beside a's {a.Scheduler.InFlight} still running");
    }
}
