namespace AgentCloud.ControlPlane.Infrastructure.Entities;

public sealed class Tenant
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public required string Tier { get; set; }
    public required string Status { get; set; }

    /// <summary>The tenant's overrides of its tier's policy (limits and isolation), as JSON; null fields take the tier's value.</summary>
    public required string PolicyOverrides { get; set; }

    /// <summary>When false the tier's default models, tools or egress apply and the rows below are ignored.</summary>
    public bool CustomModels { get; set; }
    public bool CustomTools { get; set; }
    public bool CustomEgress { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public List<TenantModel> Models { get; set; } = [];
    public List<AllowlistEntry> Allowlist { get; set; } = [];
}
