namespace AgentCloud.Platform.Contracts;

/// <summary>
/// What a tenant may do and how it is isolated: the tier's defaults with the tenant's overrides applied.
/// The ControlPlane is its source of truth; services read it through <see cref="TenantPolicyClient"/>.
/// </summary>
public sealed record TenantPolicy
{
    public required string TenantId { get; init; }
    public required string Tier { get; init; }
    public int RequestsPerMinute { get; init; }
    public int RequestBurst { get; init; }
    public long TokensPerMinute { get; init; }
    public long MonthlyTokenQuota { get; init; }

    /// <summary>Weighted tokens one agent run (calls made with its run key) may use in all; 0 for no per-run limit.</summary>
    public long RunTokenBudget { get; init; }
    public int MaxConcurrentSandboxes { get; init; }

    /// <summary>Sandbox isolation levels the tier accepts, of firecracker, gvisor, bubblewrap, namespace, none.</summary>
    public IReadOnlyList<string> SandboxIsolationLevels { get; init; } = [];

    /// <summary><c>shared</c> or <c>dedicated</c>.</summary>
    public string InferencePlacement { get; init; } = "shared";

    /// <summary><c>isolated</c>, <c>off</c> or <c>dedicated</c>.</summary>
    public string KvCachePolicy { get; init; } = "isolated";

    /// <summary><c>shared-collection</c> or <c>dedicated-collection</c>.</summary>
    public string MemoryIsolation { get; init; } = "shared-collection";

    public double FairShareWeight { get; init; } = 1;

    /// <summary>What the Gateway does when Redis cannot decide a rate limit in time: <c>open</c> or <c>closed</c>.</summary>
    public string RateLimitFailMode { get; init; } = "closed";

    /// <summary>Whether the tier gets its own warm sandbox pool rather than the shared one.</summary>
    public bool DedicatedSandboxPool { get; init; }

    public IReadOnlyList<ModelEntitlement> Models { get; init; } = [];
    public IReadOnlyList<string> Tools { get; init; } = [];

    /// <summary>Domain patterns sandboxes may reach through the egress proxy, e.g. <c>api.github.com</c>, <c>*.example.org</c>.</summary>
    public IReadOnlyList<string> Egress { get; init; } = [];
}

public sealed record ModelEntitlement(string Id, int MaxContextTokens);
