using System.Text.Json;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.ControlPlane.Apis;

public sealed record IsolationResponse(IReadOnlyList<string> SandboxIsolationLevels, InferencePlacement InferencePlacement, KvCachePolicy KvCachePolicy, MemoryIsolation MemoryIsolation, bool DedicatedSandboxPool);

/// <summary>A tenant as the operator API shows it: effective models, tools, egress, isolation and the whole policy, plus what overrides the tier.</summary>
public sealed record TenantResponse(
    string Id, string Name, string Tier, string Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<ModelEntitlement> Models, IReadOnlyList<string> Tools, IReadOnlyList<string> Egress,
    IsolationResponse Isolation, TenantPolicy Policy, PolicyOverrides Overrides)
{
    public static TenantResponse From(TenantView v) => new(
        v.Tenant.Id, v.Tenant.Name, v.Tenant.Tier, v.Tenant.Status, v.Tenant.CreatedAt, v.Tenant.UpdatedAt,
        v.Policy.Models, v.Policy.Tools, v.Policy.Egress,
        new IsolationResponse(v.Policy.SandboxIsolationLevels, v.Policy.InferencePlacement, v.Policy.KvCachePolicy, v.Policy.MemoryIsolation, v.Policy.DedicatedSandboxPool),
        v.Policy, v.Overrides);
}

/// <summary>
/// Body of <c>POST /admin/v1/tenants/{id}/keys</c>; without capabilities the key gets inference, memory:read,
/// memory:write, sandbox and usage:read (credentials:write only when listed); <c>defaultLane</c> (<c>interactive</c> or <c>batch</c>) is the lane of its inference
/// calls that do not send <c>x-agentcloud-lane</c>; <c>dollarBudget</c> the key's own US dollars per <c>dollarBudgetPeriod</c>
/// (day, week or month, UTC; default month).
/// </summary>
public sealed record CreateKeyRequest(string? Name, IReadOnlyList<string?>? Capabilities, string? DefaultLane = null, DateTimeOffset? ExpiresAt = null,
    int? RequestsPerMinute = null, long? TokensPerMinute = null, string? ProjectId = null, decimal? DollarBudget = null, string? DollarBudgetPeriod = null);

/// <summary>Body of a rotation: how long the replaced secret stays valid (0 to 86,400 seconds; 0 or absent: refused at once).</summary>
public sealed record RotateKeyRequest(long? GracePeriodSeconds);

/// <summary>
/// The new secret of a rotated key (shown once). <c>propagated</c> is false when the Gateways could not be told at once
/// (Redis away): they may then accept the replaced secret for up to their key cache duration (30 s by default).
/// </summary>
public sealed record RotatedKeyResponse(string Id, string Key, string Prefix, DateTimeOffset RotatedAt, DateTimeOffset? PreviousKeyValidUntil, bool Propagated);

public sealed record KeyResponse(
    string Id, string Name, string Prefix, IReadOnlyList<string> Capabilities, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt,
    string DefaultLane, string? RunId, DateTimeOffset? ExpiresAt, DateTimeOffset? RotatedAt = null, DateTimeOffset? PreviousKeyValidUntil = null,
    int? RequestsPerMinute = null, long? TokensPerMinute = null, string? ProjectId = null, decimal? DollarBudget = null, string? DollarBudgetPeriod = null)
{
    public static KeyResponse From(ApiKey k) =>
        new(k.Id, k.Name, k.Prefix, k.Capabilities, k.CreatedAt, k.RevokedAt, k.DefaultLane ?? Lanes.Interactive, k.RunId, k.ExpiresAt, k.RotatedAt, k.PreviousHashValidUntil,
            k.RequestsPerMinute, k.TokensPerMinute, k.ProjectId, k.DollarBudget, k.DollarBudget is null ? null : k.DollarBudgetPeriod);
}

/// <summary>The one answer that ever carries the key itself.</summary>
public sealed record CreatedKeyResponse(string Id, string Key, string Name, string Prefix, IReadOnlyList<string> Capabilities, DateTimeOffset CreatedAt, string DefaultLane,
    DateTimeOffset? ExpiresAt = null, int? RequestsPerMinute = null, long? TokensPerMinute = null, string? ProjectId = null,
    decimal? DollarBudget = null, string? DollarBudgetPeriod = null);

/// <summary>Body of <c>PUT /v1/credentials/{integration}</c>.</summary>
public sealed record PutCredentialRequest(string? Secret);

/// <summary>The platform injection path's answer (never reachable by a tenant key).</summary>
public sealed record RevealedCredential(string Integration, string Secret);

/// <summary>A stored credential by name: never its value or ciphertext.</summary>
public sealed record CredentialSummary(string Integration, DateTimeOffset UpdatedAt);

public sealed record CredentialListResponse(IReadOnlyList<CredentialSummary> Credentials);

public sealed record AuditEventResponse(long Sequence, DateTimeOffset At, string Actor, string Action, JsonElement Detail, string Hash);

/// <summary>One page of a trail; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record AuditResponse(string TenantId, bool Verified, long? BrokenAt, string? Reason, IReadOnlyList<AuditEventResponse> Events, string? NextCursor);
