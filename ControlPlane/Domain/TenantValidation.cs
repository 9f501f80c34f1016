using AgentCloud.Platform.Contracts;
using System.Text.RegularExpressions;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>Checks a <see cref="TenantSpec"/> completely before anything is written; the first problem found is returned, said so a person can fix it.</summary>
public static partial class TenantValidation
{
    public const int MaxNameLength = 200;
    public const int MaxListLength = 100;
    /// <summary>Levels a tenant's policy may name; <c>none</c> (no isolation) is the broker operator's, for development only.</summary>
    // kubernetes: sandboxes as agent-sandbox claims in a cluster; named first, a tenant's plain creates go there.
    public static readonly IReadOnlyList<string> IsolationLevels = ["firecracker", "gvisor", "bubblewrap", "namespace", "kubernetes"];

    public static string? Validate(TenantSpec spec, bool creating, ModelCatalog catalog)
    {
        if (creating && spec.Name is null) return "'name' is required.";
        if (creating && spec.Tier is null) return $"'tier' is required: one of {string.Join(", ", Tiers.All)}.";
        if (creating && spec.Status is not null) return "'status' cannot be set when creating a tenant; new tenants are active.";
        return Name(spec.Name)
            ?? (spec.Tier is not null && !Tiers.IsKnown(spec.Tier) ? $"Unknown tier '{Clip(spec.Tier)}': use one of {string.Join(", ", Tiers.All)}." : null)
            ?? (spec.Status is not null && !TenantStatus.IsKnown(spec.Status) ? $"Unknown status '{Clip(spec.Status)}': use active or suspended." : null)
            ?? Models(spec.Models, catalog)
            ?? Names("tools", spec.Tools, ToolName(), "a tool name of lowercase letters, digits, '.', '_' or '-' (at most 64)")
            ?? Names("egress", spec.Egress, DomainPattern(), "a domain such as api.github.com or a pattern such as *.example.org")
            ?? Limits(spec.Policy)
            ?? Isolation(spec.Isolation);
    }

    public static bool IsToolName(string s) => ToolName().IsMatch(s);

    private static string? Name(string? name)
    {
        if (name is null) return null;
        if (string.IsNullOrWhiteSpace(name)) return "'name' must not be empty.";
        if (name.Length > MaxNameLength) return $"'name' is {name.Length} characters long; at most {MaxNameLength} are allowed.";
        if (name.Any(char.IsControl)) return "'name' must not contain control characters.";
        return null;
    }

    private static string? Models(IReadOnlyList<ModelGrant?>? models, ModelCatalog catalog)
    {
        if (models is null) return null;
        if (models.Count > MaxListLength) return $"'models' lists {models.Count} models; at most {MaxListLength} are allowed.";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in models)
        {
            if (m?.Id is null) return "Every entry of 'models' needs an 'id'.";
            if (!catalog.IsKnown(m.Id)) return $"Unknown model '{Clip(m.Id)}': the platform serves {string.Join(", ", catalog.Ids)}.";
            if (!seen.Add(m.Id)) return $"Model '{m.Id}' is listed twice.";
            var max = catalog.MaxContextOf(m.Id);
            if (m.MaxContextTokens is { } n && (n < 1 || n > max)) return $"'maxContextTokens' of '{m.Id}' must be between 1 and {max}.";
        }
        return null;
    }

    private static string? Names(string field, IReadOnlyList<string?>? values, Regex pattern, string expected)
    {
        if (values is null) return null;
        if (values.Count > MaxListLength) return $"'{field}' has {values.Count} entries; at most {MaxListLength} are allowed.";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            if (v is null || !pattern.IsMatch(v)) return $"'{Clip(v ?? "null")}' in '{field}' is not {expected}.";
            if (!seen.Add(v)) return $"'{v}' is listed twice in '{field}'.";
        }
        return null;
    }

    private static string? Limits(LimitOverrides? p)
    {
        if (p is null) return null;
        return Range("policy.requestsPerMinute", p.RequestsPerMinute, 1, 1_000_000)
            ?? Range("policy.requestBurst", p.RequestBurst, 1, 1_000_000)
            ?? Range("policy.tokensPerMinute", p.TokensPerMinute, 1, 1_000_000_000_000)
            ?? Range("policy.monthlyTokenQuota", p.MonthlyTokenQuota, 0, 1_000_000_000_000_000)
            ?? Range("policy.runTokenBudget", p.RunTokenBudget, 0, 1_000_000_000_000)
            ?? Range("policy.maxConcurrentSandboxes", p.MaxConcurrentSandboxes, 0, 10_000)
            ?? (p.FairShareWeight is { } w && (!double.IsFinite(w) || w < 0.1 || w > 1000) ? "'policy.fairShareWeight' must be between 0.1 and 1000." : null)
            ?? OneOf<RateLimitFailMode>("policy.rateLimitFailMode", p.RateLimitFailMode);
    }

    private static string? Isolation(IsolationOverrides? i)
    {
        if (i is null) return null;
        if (i.SandboxIsolationLevels is { } levels)
        {
            if (levels.Count == 0) return "'isolation.sandboxIsolationLevels' must name at least one level.";
            foreach (var level in levels)
            {
                if (level == "none") return "Sandbox isolation level 'none' runs tenant code unisolated and is never offered to tenants; use bubblewrap or stronger.";
                if (level is null || !IsolationLevels.Contains(level)) return $"Unknown sandbox isolation level '{Clip(level ?? "null")}': use {string.Join(", ", IsolationLevels)}.";
            }
            if (levels.Distinct().Count() != levels.Count) return "'isolation.sandboxIsolationLevels' names a level twice.";
        }
        return OneOf<InferencePlacement>("isolation.inferencePlacement", i.InferencePlacement)
            ?? OneOf<KvCachePolicy>("isolation.kvCachePolicy", i.KvCachePolicy)
            ?? OneOf<MemoryIsolation>("isolation.memoryIsolation", i.MemoryIsolation);
    }

    private static string? Range(string field, long? value, long min, long max) =>
        value is { } v && (v < min || v > max) ? $"'{field}' must be between {min} and {max}, not {v}." : null;

    private static string? OneOf<T>(string field, string? value) where T : struct, Enum =>
        value is not null && !WireNames.TryParse<T>(value, out _) ? $"'{field}' must be one of {string.Join(", ", WireNames.All<T>())}, not '{Clip(value)}'." : null;

    /// <summary>Echoes at most a little of what was sent, so a 10 kB value does not come back whole.</summary>
    internal static string Clip(string s) => s.Length <= 64 ? s : s[..64] + "…";

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,63}$")]
    private static partial Regex ToolName();

    [GeneratedRegex(@"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")]
    private static partial Regex DomainPattern();
}
