namespace AgentCloud.Platform.Contracts;

/// <summary>
/// Body of the ControlPlane's <c>POST /internal/v1/run-keys</c>, called by the SandboxBroker in the tenant's own
/// context when it creates a sandbox for a run: a key bound to that tenant and run, with at most the capabilities
/// asked for (which must be the caller's own and never <c>sandbox</c>), refused after <c>ttlSeconds</c>.
/// </summary>
public sealed record MintRunKeyRequest(string? RunId, IReadOnlyList<string?>? Capabilities, int? TtlSeconds);

/// <summary>The minted run key; <see cref="Key"/> appears only in this answer.</summary>
public sealed record RunKey(string Id, string Key, string RunId, IReadOnlyList<string> Capabilities, DateTimeOffset ExpiresAt);

/// <summary>A run that ended (its sandbox was deleted or reaped): its run keys are revoked.</summary>
public sealed record RunEnded(string TenantId, string RunId);
