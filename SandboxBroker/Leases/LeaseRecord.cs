namespace AgentCloud.SandboxBroker.Leases;

/// <summary>
/// What the broker must still know about a lease after a crash: whom to bill for how long, and which run's keys to
/// revoke. Written to the <see cref="LeaseJournal"/> when the lease starts, removed once its end is billed and announced.
/// <see cref="ProjectId"/> is the project of the caller's key (absent from journals written before projects).
/// <see cref="CreatedAt"/> is when this lease began; <see cref="Segment"/> counts the resumes before it (0 for the first lease).
/// <see cref="HostId"/> is the fleet host that held it, so whoever reads it later settles it through the fleet's record (once).
/// </summary>
public sealed record LeaseRecord(
    string SandboxId,
    string TenantId,
    string Principal,
    string? RunId,
    string Isolation,
    string Pool,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    bool RunKeyIssued,
    string? ProjectId = null,
    int Segment = 0,
    string? HostId = null);
