namespace AgentCloud.ControlPlane.Infrastructure.Entities;

/// <summary>A model the tenant is entitled to, with the longest context it may send.</summary>
public sealed class TenantModel
{
    public required string TenantId { get; set; }
    public required string ModelId { get; set; }
    public int MaxContextTokens { get; set; }
}
