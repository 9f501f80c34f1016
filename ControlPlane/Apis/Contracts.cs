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
/// calls that do not send <c>x-agentcloud-lane</c>.
/// </summary>
public sealed record CreateKeyRequest(string? Name, IReadOnlyList<string?>? Capabilities, string? DefaultLane = null);

public sealed record KeyResponse(
    string Id, string Name, string Prefix, IReadOnlyList<string> Capabilities, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt,
    string DefaultLane, string? RunId, DateTimeOffset? ExpiresAt)
{
    public static KeyResponse From(ApiKey k) =>
        new(k.Id, k.Name, k.Prefix, k.Capabilities, k.CreatedAt, k.RevokedAt, k.DefaultLane ?? Lanes.Interactive, k.RunId, k.ExpiresAt);
}

/// <summary>The one answer that ever carries the key itself.</summary>
public sealed record CreatedKeyResponse(string Id, string Key, string Name, string Prefix, IReadOnlyList<string> Capabilities, DateTimeOffset CreatedAt, string DefaultLane);

/// <summary>Body of <c>PUT /v1/credentials/{integration}</c>.</summary>
public sealed record PutCredentialRequest(string? Secret);

/// <summary>The platform injection path's answer (never reachable by a tenant key).</summary>
public sealed record RevealedCredential(string Integration, string Secret);

public sealed record AuditEventResponse(long Sequence, DateTimeOffset At, string Actor, string Action, JsonElement Detail, string Hash);

/// <summary>One page of a trail; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record AuditResponse(string TenantId, bool Verified, long? BrokenAt, string? Reason, IReadOnlyList<AuditEventResponse> Events, string? NextCursor);
