using AgentCloud.Platform.Contracts;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// What each tier gets unless the tenant's overrides say otherwise. Free shares everything and fails closed
/// when limits cannot be checked; pro gets more of everything and fails open; enterprise gets dedicated
/// inference, KV cache, memory collection and sandbox pool, and the strongest sandbox isolation.
/// A tier's sandbox levels run strongest first; the weakest is its floor (a tenant may ask for stronger, never weaker),
/// and <c>none</c> is never among them (operator-only, for development).
/// </summary>
public static class Tiers
{
    public const string Free = "free";
    public const string Pro = "pro";
    public const string Enterprise = "enterprise";

    public static readonly IReadOnlyList<string> All = [Free, Pro, Enterprise];

    public static bool IsKnown(string? tier) => tier is not null && All.Contains(tier, StringComparer.Ordinal);

    /// <summary>The tier's full policy for a tenant, before that tenant's overrides; its models and output budget come from the configured catalogue.</summary>
    public static TenantPolicy Defaults(string tenantId, string tier, ModelCatalog models) => (tier switch
    {
        Free => new TenantPolicy
        {
            TenantId = tenantId, Tier = Free,
            RequestsPerMinute = 60, RequestBurst = 10, TokensPerMinute = 20_000, MonthlyTokenQuota = 1_000_000, RunTokenBudget = 100_000,
            MaxConcurrentSandboxes = 2, SandboxIsolationLevels = ["bubblewrap", "namespace"],
            InferencePlacement = InferencePlacement.Shared, KvCachePolicy = KvCachePolicy.Isolated, MemoryIsolation = MemoryIsolation.SharedCollection,
            FairShareWeight = 1, RateLimitFailMode = RateLimitFailMode.Closed, DedicatedSandboxPool = false,
        },
        Pro => new TenantPolicy
        {
            TenantId = tenantId, Tier = Pro,
            RequestsPerMinute = 600, RequestBurst = 60, TokensPerMinute = 200_000, MonthlyTokenQuota = 50_000_000, RunTokenBudget = 2_000_000,
            MaxConcurrentSandboxes = 10, SandboxIsolationLevels = ["gvisor", "bubblewrap", "namespace"],
            InferencePlacement = InferencePlacement.Shared, KvCachePolicy = KvCachePolicy.Isolated, MemoryIsolation = MemoryIsolation.SharedCollection,
            FairShareWeight = 2, RateLimitFailMode = RateLimitFailMode.Open, DedicatedSandboxPool = false,
        },
        Enterprise => new TenantPolicy
        {
            TenantId = tenantId, Tier = Enterprise,
            RequestsPerMinute = 6_000, RequestBurst = 300, TokensPerMinute = 2_000_000, MonthlyTokenQuota = 1_000_000_000,
            MaxConcurrentSandboxes = 50, SandboxIsolationLevels = ["firecracker", "gvisor", "bubblewrap"],
            InferencePlacement = InferencePlacement.Dedicated, KvCachePolicy = KvCachePolicy.Dedicated, MemoryIsolation = MemoryIsolation.DedicatedCollection,
            FairShareWeight = 4, RateLimitFailMode = RateLimitFailMode.Open, DedicatedSandboxPool = true,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "Unknown tier."),
    }) with
    {
        Models = models.ForTier(tier),
        DefaultMaxOutputTokens = models.DefaultMaxOutputTokens(tier),
    };
}
