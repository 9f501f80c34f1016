namespace AgentCloud.ControlPlane.Infrastructure.Entities;

/// <summary>One allowed tool name or egress domain pattern of a tenant.</summary>
public sealed class AllowlistEntry
{
    public const string Tool = "tool";
    public const string Egress = "egress";

    public required string TenantId { get; set; }
    public required string Kind { get; set; }
    public required string Value { get; set; }
}
