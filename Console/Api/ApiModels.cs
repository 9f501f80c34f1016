using System.Text.Json;

namespace AgentCloud.Console.Api;

/// <summary>A tenant as <c>GET /admin/v1/tenants</c> shows it (the fields the console displays).</summary>
public sealed record TenantView(string Id, string Name, string Tier, string Status, DateTimeOffset CreatedAt, IsolationView? Isolation, PolicyView? Policy);

public sealed record IsolationView(IReadOnlyList<string> SandboxIsolationLevels, bool DedicatedSandboxPool);

public sealed record PolicyView(int RequestsPerMinute, long TokensPerMinute, long MonthlyTokenQuota, int MaxConcurrentSandboxes);

/// <summary>A key as the key listings show it: never the secret.</summary>
public sealed record KeyView(string Id, string Name, string Prefix, IReadOnlyList<string> Capabilities, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt,
    string DefaultLane, DateTimeOffset? ExpiresAt, string? RunId = null);

/// <summary>The one answer that carries a new key's secret; the console shows it once and keeps it nowhere.</summary>
public sealed record CreatedKey(string Id, string Key, string Name, string Prefix, IReadOnlyList<string> Capabilities, string DefaultLane);

/// <summary>One usage row (per model, per day, or both when the console asks per day window).</summary>
public sealed record UsageRowView(string TenantId, string? Kind, string? Model, DateTimeOffset? Day, long Events, long InputTokens, long OutputTokens,
    long WeightedTokens, decimal SandboxSeconds, decimal Cost);

public sealed record UsageAnswer(IReadOnlyList<UsageRowView> Data);

public sealed record ReconciliationView(DateTimeOffset From, DateTimeOffset To, long RawEvents, long RollupEvents, long Buckets, int DriftCount);

public sealed record AuditEventView(long Sequence, DateTimeOffset At, string Actor, string Action, JsonElement Detail);

public sealed record AuditPage(string TenantId, bool Verified, long? BrokenAt, string? Reason, IReadOnlyList<AuditEventView> Events, string? NextCursor);

public sealed record SandboxView(string Id, string? Isolation, string? Pool, DateTimeOffset CreatedAt, string? State, string? Template = null);

/// <summary>A live sandbox as the operator's listing across tenants shows it.</summary>
public sealed record TenantSandboxView(string TenantId, string Id, string? Isolation, string? Template, string? State, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

public sealed record SandboxPage(IReadOnlyList<TenantSandboxView> Sandboxes, string? NextCursor);

public sealed record CollectionView(string Name, int Dimension, string? Isolation, long Points);

public sealed record CollectionPage(IReadOnlyList<CollectionView> Collections, string? NextCursor);

/// <summary>A credential by name: the API never answers its value, and the console has no field for one.</summary>
public sealed record CredentialView(string Integration, DateTimeOffset UpdatedAt);

public sealed record CredentialList(IReadOnlyList<CredentialView> Credentials);

/// <summary>What the operator changes on a tenant: absent fields are left as they are.</summary>
public sealed record TenantUpdate(string? Tier, string? Status, IReadOnlyList<string>? SandboxIsolationLevels, int? RequestsPerMinute, long? TokensPerMinute);

public sealed record NewKey(string Name, IReadOnlyList<string> Capabilities, string DefaultLane);
