using AgentCloud.Platform.Budgets;

namespace AgentCloud.Platform.Contracts;

/// <summary>
/// The ControlPlane's answer to the Gateway's key lookup (<c>POST /internal/v1/keys/resolve</c> with
/// <c>{"key": "..."}</c>, callable only with the Gateway's own signed identity): who the key belongs to.
/// Unknown, revoked or expired keys are answered 404. <see cref="ExpiresAt"/> bounds how long the Gateway may trust
/// the answer; <see cref="DefaultLane"/> is the lane of the key's calls that name none. A key of a project carries the project's
/// id and its tokens per minute (0: none), shared by all of the project's keys; <c>Budgets</c> the project's period budgets and
/// the key's own dollar budget (null: none).
/// </summary>
public sealed record ResolvedKey(
    string KeyId,
    string TenantId,
    string Tier,
    string Principal,
    IReadOnlyList<string> Capabilities,
    string? RunId,
    TenantPolicy Policy,
    string DefaultLane = Lanes.Interactive,
    DateTimeOffset? ExpiresAt = null,
    int KeyRequestsPerMinute = 0,
    long KeyTokensPerMinute = 0,
    string? ProjectId = null,
    long ProjectTokensPerMinute = 0,
    PeriodBudgets? Budgets = null);

public sealed record ResolveKeyRequest(string Key);

/// <summary>Redis pub/sub channels through which the ControlPlane tells every replica of every service at once.</summary>
public static class PlatformChannels
{
    /// <summary>Message: the revoked key's id. Gateways drop it from their caches at once.</summary>
    public const string KeyRevoked = "agentcloud:keys:revoked";

    /// <summary>Message: the offboarded tenant's id. Memory, usage and sandboxes act on it.</summary>
    public const string TenantOffboarded = "agentcloud:tenants:offboarded";

    /// <summary>
    /// Message: the tenant whose status, policy or entitlements changed (suspension and reactivation included). Gateways
    /// drop the tenant's cached keys, policy caches drop it.
    /// </summary>
    public const string PolicyChanged = "agentcloud:tenants:policy-changed";

    /// <summary>Message: the suspended tenant's id. The SandboxBroker ends its sandboxes (its run keys are already revoked).</summary>
    public const string TenantSuspended = "agentcloud:tenants:suspended";

    /// <summary>Message: a <see cref="RunEnded"/> as JSON. The ControlPlane revokes that run's keys.</summary>
    public const string RunEnded = "agentcloud:runs:ended";
}
