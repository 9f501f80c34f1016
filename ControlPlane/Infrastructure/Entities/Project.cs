namespace AgentCloud.ControlPlane.Infrastructure.Entities;

/// <summary>
/// A budget within a tenant (a department, a use case): keys may belong to one and then draw on its budget as well as the
/// tenant's. Deleting keeps the row (its id stays in the audit trail and usage) and refuses its keys from then on.
/// </summary>
public sealed class Project
{
    public required string Id { get; set; }
    public required string TenantId { get; set; }

    /// <summary>Unique among the tenant's live projects.</summary>
    public required string Name { get; set; }

    /// <summary>Weighted tokens per minute for all of the project's keys together, within the tenant's (null: none of its own).</summary>
    public long? TokensPerMinute { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
}
