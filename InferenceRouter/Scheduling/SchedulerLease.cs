namespace AgentCloud.InferenceRouter.Scheduling;

/// <summary>
/// A slot on the endpoint. Complete it with the call's real weighted cost; disposing without completing charges
/// the estimate. Either way the slot passes to the next call exactly once.
/// </summary>
public sealed class SchedulerLease(FairScheduler scheduler, string tenantId, double chargedCost, TimeSpan waited) : IDisposable
{
    private int _released;

    public string TenantId { get; } = tenantId;

    public double ChargedCost { get; } = chargedCost;

    public TimeSpan Waited { get; } = waited;

    public void Complete(double actualCost)
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            scheduler.Release(this, actualCost);
        }
    }

    public void Dispose() => Complete(ChargedCost);
}
