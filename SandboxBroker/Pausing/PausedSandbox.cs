namespace AgentCloud.SandboxBroker.Pausing;

/// <summary>
/// A paused sandbox as journaled beside its saved workspace: who it belongs to, how it ran (level, template), how much
/// running time it has left, and until when it is kept. <see cref="Segment"/> is the number its next lease bills under.
/// </summary>
public sealed record PausedSandbox(
    string Id,
    string TenantId,
    string Principal,
    string? RunId,
    string? ProjectId,
    string Isolation,
    string Template,
    DateTimeOffset CreatedAt,
    DateTimeOffset PausedAt,
    DateTimeOffset PausedUntil,
    TimeSpan RemainingLifetime,
    long SavedBytes,
    int Segment,
    bool RunKeyIssued);
