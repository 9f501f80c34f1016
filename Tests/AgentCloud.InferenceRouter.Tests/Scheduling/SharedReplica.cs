using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Tests.Scheduling;

/// <summary>
/// One router replica's scheduler for one endpoint, sharing its slots through a real Redis, driven by hand: calls are
/// submitted, heartbeats run when the test says, and a "round" completes every running call at once (each call lasts
/// one round). Records the order in which calls were dispatched.
/// </summary>
internal sealed class SharedReplica
{
    private readonly List<(string Tenant, Task<SchedulerLease> Lease)> _calls = [];
    private readonly IConnectionMultiplexer _redis;
    private readonly string _endpoint;
    private readonly string _id;

    public SharedReplica(IConnectionMultiplexer redis, string endpoint, string id, FakeTimeProvider time, int maxInFlight,
        ReplicaShareOptions? options = null, ILogger? logger = null)
    {
        (_redis, _endpoint, _id) = (redis, endpoint, id);
        var limits = new FairSchedulerOptions
        {
            MaxInFlight = maxInFlight, ReservedSlots = 1, MaxQueuedPerTenant = 10_000, MaxQueuedTotal = 100_000, MaxWait = TimeSpan.FromHours(1),
        };
        Scheduler = new FairScheduler(limits, time);
        Scheduler.SetCapacity(0); // as EndpointSchedulers makes it: no slots before the first heartbeat
        Share = new ReplicaShare(endpoint, id, Scheduler, new SharedCapacityStore(redis), limits, options ?? Patient, time,
            logger ?? NullLogger.Instance);
    }

    /// <summary>Heartbeats that wait long for Redis: on a loaded machine a first script load can take a while, and these
    /// replicas must not fall back to a local share unless a test means them to.</summary>
    public static ReplicaShareOptions Patient => new() { HeartbeatTimeout = TimeSpan.FromSeconds(30) };

    public FairScheduler Scheduler { get; }

    public ReplicaShare Share { get; }

    /// <summary>Tenants in the order their calls were dispatched on this replica.</summary>
    public List<string> Dispatched { get; } = [];

    /// <summary>Leases run on Redis's clock, not the test's fake one: this makes this replica's lease over as Redis sees
    /// it, as if its lease time had passed without a heartbeat.</summary>
    public async Task EndLeaseInRedisAsync() =>
        await _redis.GetDatabase().SortedSetAddAsync($"router:sched:{{{_endpoint}}}:live", _id, 0);

    public async Task SyncAsync()
    {
        await Share.SyncOnceAsync();
        await NoteDispatchesAsync(); // a larger share dispatches waiting calls
    }

    public async Task SubmitAsync(string tenant, int count = 1, double cost = 10)
    {
        for (var i = 0; i < count; i++)
        {
            _calls.Add((tenant, Scheduler.AcquireAsync(new SchedulingRequest(tenant, 1, Lane.Interactive, cost)).AsTask()));
        }
        await NoteDispatchesAsync();
    }

    public int Waiting(string tenant) => _calls.Count(c => c.Tenant == tenant && !c.Lease.IsCompleted);

    /// <summary>Completes every running call; returns the tenants whose calls finished.</summary>
    public async Task<List<string>> CompleteRunningAsync()
    {
        var running = _calls.Where(c => c.Lease.IsCompletedSuccessfully).ToList();
        foreach (var call in running)
        {
            _calls.Remove(call);
            call.Lease.Result.Complete(10);
        }
        await NoteDispatchesAsync();
        return [.. running.Select(c => c.Tenant)];
    }

    /// <summary>
    /// A dispatched call's task completes on the thread pool (the scheduler never runs a caller's continuation under its
    /// lock), so this first waits until every call the scheduler has in flight shows as started, then records them.
    /// </summary>
    private async Task NoteDispatchesAsync()
    {
        for (var spins = 0; _calls.Count(c => c.Lease.IsCompletedSuccessfully) < Scheduler.InFlight; spins++)
        {
            Assert.True(spins < 10_000, "dispatched calls never started");
            await Task.Delay(1);
        }
        foreach (var call in _calls.Where(c => c.Lease.IsCompletedSuccessfully && !_noted.Contains(c.Lease)))
        {
            _noted.Add(call.Lease);
            Dispatched.Add(call.Tenant);
        }
    }

    private readonly HashSet<Task<SchedulerLease>> _noted = [];
}
