namespace AgentCloud.InferenceRouter.Scheduling;

/// <summary>One replica's scheduler state for one endpoint, as it is shared with the other replicas.</summary>
/// <param name="InFlight">Calls running now.</param>
/// <param name="Queued">Calls waiting for a slot.</param>
/// <param name="Capacity">This replica's current share of the endpoint's slots.</param>
/// <param name="Tenants">Per tenant: weight, whether active here, weighted tokens served here.</param>
public sealed record SchedulerSnapshot(int InFlight, int Queued, int Capacity, IReadOnlyDictionary<string, TenantSnapshot> Tenants);

public sealed record TenantSnapshot(double Weight, bool Active, double Served);
