using AgentCloud.Platform.Contracts;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>Usage events as the InferenceRouter and the SandboxBroker write them.</summary>
public static class Events
{
    /// <summary>A time well after the seeded prices took effect.</summary>
    public static readonly DateTimeOffset Noon = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static UsageEvent Inference(string tenant, string model = "sim-small", long input = 1000, long cached = 0, long output = 500,
        DateTimeOffset? at = null, string? id = null) => new()
    {
        EventId = id ?? Guid.NewGuid().ToString("N"),
        TenantId = tenant,
        Principal = $"key:{tenant}",
        Kind = "inference",
        Resource = model,
        Endpoint = "/v1/chat/completions",
        Placement = "shared",
        InputTokens = input,
        CachedInputTokens = cached,
        OutputTokens = output,
        WeightedTokens = input + output,
        StartedAt = at ?? Noon,
        DurationMs = 120,
    };

    public static UsageEvent Sandbox(string tenant, double seconds, string level = "bubblewrap", DateTimeOffset? at = null) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        TenantId = tenant,
        Principal = $"key:{tenant}",
        Kind = "sandbox",
        Resource = "sandbox:" + level,
        SandboxSeconds = seconds,
        StartedAt = at ?? Noon,
        DurationMs = (long)(seconds * 1000),
    };

    /// <summary>A tool call as the Tools service meters it: one event a call, the seconds it ran.</summary>
    public static UsageEvent Tool(string tenant, string tool, double seconds, DateTimeOffset? at = null) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        TenantId = tenant,
        Principal = $"key:{tenant}",
        Kind = UsageEvent.ToolKind,
        Resource = "tool:" + tool,
        SandboxSeconds = seconds,
        StartedAt = at ?? Noon,
        DurationMs = (long)(seconds * 1000),
    };
}
