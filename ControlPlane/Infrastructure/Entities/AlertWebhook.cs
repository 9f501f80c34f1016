namespace AgentCloud.ControlPlane.Infrastructure.Entities;

/// <summary>Where a tenant's budget alerts are delivered, and the secret their signatures are made with (sealed like a vault secret).</summary>
public sealed class AlertWebhook
{
    public required string TenantId { get; set; }
    public required string Url { get; set; }

    /// <summary>The signing secret, AES-GCM sealed with the tenant's data key and bound to the tenant as associated data.</summary>
    public required byte[] SealedSecret { get; set; }
    public int MasterKeyVersion { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset SecretRotatedAt { get; set; }
}
