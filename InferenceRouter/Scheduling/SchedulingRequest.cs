namespace AgentCloud.InferenceRouter.Scheduling;

/// <summary>Within a tenant, interactive work is always served before batch work.</summary>
public enum Lane
{
    Interactive = 0,
    Batch = 1,
}

/// <summary>One call waiting for a slot on a shared endpoint.</summary>
/// <param name="TenantId">Whose call it is.</param>
/// <param name="Weight">The tenant's fair-share weight (from its tier); service is normalised by it.</param>
/// <param name="Lane">Interactive or batch.</param>
/// <param name="EstimatedCost">Weighted tokens charged when the call is dispatched, corrected on completion.</param>
public sealed record SchedulingRequest(string TenantId, double Weight, Lane Lane, double EstimatedCost);

/// <summary>How the scheduler picks the next call: fair (virtual token counter) or first come, first served.</summary>
public enum SchedulingPolicy
{
    Fair,
    Fifo,
}
