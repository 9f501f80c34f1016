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

    /// <summary>Weighted tokens per <see cref="Period"/> for all of the project's keys together (null: none).</summary>
    public long? TokensPerPeriod { get; set; }

    /// <summary>US dollars per <see cref="Period"/> at the models' prices, for all of the project's keys together (null: none).</summary>
    public decimal? DollarsPerPeriod { get; set; }

    /// <summary><c>day</c>, <c>week</c> (ISO, from Monday) or <c>month</c>, UTC: when the period budgets start again from zero.</summary>
    public string Period { get; set; } = "month";

    /// <summary>Percents of each period budget whose crossing raises an alert, once per period.</summary>
    public List<int> AlertThresholds { get; set; } = [80, 100];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
}
