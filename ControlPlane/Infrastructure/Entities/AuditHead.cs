namespace AgentCloud.ControlPlane.Infrastructure.Entities;

/// <summary>The last event of a tenant's audit chain, so that deleting the newest events is detected too.</summary>
public sealed class AuditHead
{
    public required string TenantId { get; set; }
    public long Sequence { get; set; }
    public required byte[] Hash { get; set; }
}
