namespace AgentCloud.ControlPlane.Infrastructure.Entities;

/// <summary>One audit event; <see cref="Hash"/> covers the previous event's hash and this event's content.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }
    public required string TenantId { get; set; }
    public long Sequence { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public required string Detail { get; set; }
    public required byte[] PreviousHash { get; set; }
    public required byte[] Hash { get; set; }
}
