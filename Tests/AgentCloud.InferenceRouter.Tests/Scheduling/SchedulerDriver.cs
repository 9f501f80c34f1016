using AgentCloud.InferenceRouter.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.InferenceRouter.Tests.Scheduling;

/// <summary>
/// Drives a scheduler with one slot the way an endpoint would: the dispatched call "runs" for its cost in
/// (fake) milliseconds, completes, and the next is dispatched. Records who was served in which order.
/// </summary>
internal sealed class SchedulerDriver
{
    private readonly List<Pending> _pending = [];

    public SchedulerDriver(SchedulingPolicy policy = SchedulingPolicy.Fair, int maxQueuedPerTenant = 1000)
    {
        Scheduler = new FairScheduler(new FairSchedulerOptions
        {
            MaxInFlight = 1,
            MaxQueuedPerTenant = maxQueuedPerTenant,
            MaxWait = TimeSpan.FromHours(1),
            Policy = policy,
        }, Time);
    }

    public FakeTimeProvider Time { get; } = new();

    public FairScheduler Scheduler { get; }

    public List<(string Tenant, double Cost, TimeSpan Waited)> Served { get; } = [];

    public void Submit(string tenant, double cost, double weight = 1, Lane lane = Lane.Interactive) =>
        _pending.Add(new Pending(tenant, cost, Scheduler.AcquireAsync(new SchedulingRequest(tenant, weight, lane, cost)).AsTask()));

    public bool HasPending => _pending.Count > 0;

    public int PendingOf(string tenant) => _pending.Count(p => p.Tenant == tenant);

    /// <summary>Waits for the one dispatched call, advances fake time by its cost, completes it.</summary>
    public async Task<(string Tenant, double Cost)> ServeNextAsync()
    {
        var done = await Task.WhenAny(_pending.Select(p => p.Lease));
        var item = _pending.Single(p => p.Lease == done);
        _pending.Remove(item);
        var lease = await item.Lease;
        Served.Add((item.Tenant, item.Cost, lease.Waited));
        Time.Advance(TimeSpan.FromMilliseconds(item.Cost));
        lease.Complete(item.Cost);
        return (item.Tenant, item.Cost);
    }

    private sealed record Pending(string Tenant, double Cost, Task<SchedulerLease> Lease);
}
