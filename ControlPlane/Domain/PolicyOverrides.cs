using AgentCloud.Platform.Contracts;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>A tenant's limits that differ from its tier (the <c>policy</c> object of the tenant API); null keeps the tier's value.</summary>
public sealed record LimitOverrides
{
    public int? RequestsPerMinute { get; init; }
    public int? RequestBurst { get; init; }
    public long? TokensPerMinute { get; init; }
    public long? MonthlyTokenQuota { get; init; }
    public long? RunTokenBudget { get; init; }
    public int? MaxConcurrentSandboxes { get; init; }
    public double? FairShareWeight { get; init; }
    public string? RateLimitFailMode { get; init; }

    public LimitOverrides Then(LimitOverrides? newer) => newer is null ? this : new()
    {
        RequestsPerMinute = newer.RequestsPerMinute ?? RequestsPerMinute,
        RequestBurst = newer.RequestBurst ?? RequestBurst,
        TokensPerMinute = newer.TokensPerMinute ?? TokensPerMinute,
        MonthlyTokenQuota = newer.MonthlyTokenQuota ?? MonthlyTokenQuota,
        RunTokenBudget = newer.RunTokenBudget ?? RunTokenBudget,
        MaxConcurrentSandboxes = newer.MaxConcurrentSandboxes ?? MaxConcurrentSandboxes,
        FairShareWeight = newer.FairShareWeight ?? FairShareWeight,
        RateLimitFailMode = newer.RateLimitFailMode ?? RateLimitFailMode,
    };
}

/// <summary>A tenant's isolation settings that differ from its tier (the <c>isolation</c> object); null keeps the tier's value.</summary>
public sealed record IsolationOverrides
{
    public IReadOnlyList<string>? SandboxIsolationLevels { get; init; }
    public string? InferencePlacement { get; init; }
    public string? KvCachePolicy { get; init; }
    public string? MemoryIsolation { get; init; }
    public bool? DedicatedSandboxPool { get; init; }

    public IsolationOverrides Then(IsolationOverrides? newer) => newer is null ? this : new()
    {
        SandboxIsolationLevels = newer.SandboxIsolationLevels ?? SandboxIsolationLevels,
        InferencePlacement = newer.InferencePlacement ?? InferencePlacement,
        KvCachePolicy = newer.KvCachePolicy ?? KvCachePolicy,
        MemoryIsolation = newer.MemoryIsolation ?? MemoryIsolation,
        DedicatedSandboxPool = newer.DedicatedSandboxPool ?? DedicatedSandboxPool,
    };
}

/// <summary>Everything a tenant overrides, as stored in <c>tenants.policy_overrides</c>.</summary>
public sealed record PolicyOverrides(LimitOverrides Policy, IsolationOverrides Isolation)
{
    public static PolicyOverrides None { get; } = new(new LimitOverrides(), new IsolationOverrides());

    public PolicyOverrides Then(LimitOverrides? policy, IsolationOverrides? isolation) =>
        new(Policy.Then(policy), Isolation.Then(isolation));

    /// <summary>The tier's policy with these overrides applied (their policy values were validated as wire names on the way in).</summary>
    public TenantPolicy ApplyTo(TenantPolicy tier) => tier with
    {
        RequestsPerMinute = Policy.RequestsPerMinute ?? tier.RequestsPerMinute,
        RequestBurst = Policy.RequestBurst ?? tier.RequestBurst,
        TokensPerMinute = Policy.TokensPerMinute ?? tier.TokensPerMinute,
        MonthlyTokenQuota = Policy.MonthlyTokenQuota ?? tier.MonthlyTokenQuota,
        RunTokenBudget = Policy.RunTokenBudget ?? tier.RunTokenBudget,
        MaxConcurrentSandboxes = Policy.MaxConcurrentSandboxes ?? tier.MaxConcurrentSandboxes,
        FairShareWeight = Policy.FairShareWeight ?? tier.FairShareWeight,
        RateLimitFailMode = Policy.RateLimitFailMode is { } failMode ? WireNames.Parse<RateLimitFailMode>(failMode) : tier.RateLimitFailMode,
        SandboxIsolationLevels = Isolation.SandboxIsolationLevels ?? tier.SandboxIsolationLevels,
        InferencePlacement = Isolation.InferencePlacement is { } placement ? WireNames.Parse<InferencePlacement>(placement) : tier.InferencePlacement,
        KvCachePolicy = Isolation.KvCachePolicy is { } kvCache ? WireNames.Parse<KvCachePolicy>(kvCache) : tier.KvCachePolicy,
        MemoryIsolation = Isolation.MemoryIsolation is { } memory ? WireNames.Parse<MemoryIsolation>(memory) : tier.MemoryIsolation,
        DedicatedSandboxPool = Isolation.DedicatedSandboxPool ?? tier.DedicatedSandboxPool,
    };
}
