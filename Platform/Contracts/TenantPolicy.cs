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

    public InferencePlacement InferencePlacement { get; init; } = InferencePlacement.Shared;

    public KvCachePolicy KvCachePolicy { get; init; } = KvCachePolicy.Isolated;

    public MemoryIsolation MemoryIsolation { get; init; } = MemoryIsolation.SharedCollection;

    public double FairShareWeight { get; init; } = 1;

    /// <summary>What the Gateway (and the router's token ledger) do when Redis cannot decide a limit in time.</summary>
    public RateLimitFailMode RateLimitFailMode { get; init; } = RateLimitFailMode.Closed;

    /// <summary>Whether the tier gets its own warm sandbox pool rather than the shared one.</summary>
    public bool DedicatedSandboxPool { get; init; }

    public IReadOnlyList<ModelEntitlement> Models { get; init; } = [];

    /// <summary>The output a chat without <c>max_tokens</c> may generate (reserved, and sent upstream as its cap); 0: the router's default.</summary>
    public int DefaultMaxOutputTokens { get; init; }
    public IReadOnlyList<string> Tools { get; init; } = [];

    /// <summary>Domain patterns sandboxes may reach through the egress proxy, e.g. <c>api.github.com</c>, <c>*.example.org</c>.</summary>
    public IReadOnlyList<string> Egress { get; init; } = [];
}

public sealed record ModelEntitlement(string Id, int MaxContextTokens);
