namespace AgentCloud.Faults.Harness;

/// <summary>A tenant the traffic calls for, with its tier's rate-limit fail mode (open: served from a local ledger
/// while Redis is away; closed: refused 503).</summary>
public sealed record TrafficTenant(string TenantId, string Tier, string FailMode, string Key);
