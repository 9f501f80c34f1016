namespace AgentCloud.ControlPlane.Infrastructure.Entities;

/// <summary>A tenant's data key, wrapped (AES-GCM) by the master key of <see cref="MasterKeyVersion"/>.</summary>
public sealed class VaultKey
{
    public required string TenantId { get; set; }
    public int MasterKeyVersion { get; set; }
    public required byte[] WrappedKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
