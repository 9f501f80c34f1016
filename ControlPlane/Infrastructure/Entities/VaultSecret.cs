namespace AgentCloud.ControlPlane.Infrastructure.Entities;

/// <summary>A tenant's credential for one integration, encrypted with the tenant's data key.</summary>
public sealed class VaultSecret
{
    public required string TenantId { get; set; }
    public required string Integration { get; set; }

    /// <summary>Nonce, ciphertext and tag of AES-GCM, bound to (tenant, integration) as associated data.</summary>
    public required byte[] Sealed { get; set; }
    public int MasterKeyVersion { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
