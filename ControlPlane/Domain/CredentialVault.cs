using System.Text;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// Envelope encryption of tenant credentials: each tenant has a data key, wrapped by the vault master key of the
/// version stored beside it; each secret is sealed with its tenant's data key and bound to (tenant, integration)
/// as associated data, so a ciphertext copied to another row or tenant does not open.
/// </summary>
public sealed class CredentialVault(MasterKeyRing masterKeys, TimeProvider time)
{
    public async Task PutAsync(ControlPlaneDbContext db, string tenantId, string integration, string secret, CancellationToken ct)
    {
        var dataKey = await CurrentDataKeyAsync(db, tenantId, ct);
        var sealedSecret = EnvelopeCipher.Seal(dataKey, Encoding.UTF8.GetBytes(secret), SecretBinding(tenantId, integration));
        var row = await db.VaultSecrets.SingleOrDefaultAsync(s => s.TenantId == tenantId && s.Integration == integration, ct);
        if (row is null)
        {
            db.VaultSecrets.Add(row = new VaultSecret { TenantId = tenantId, Integration = integration, Sealed = sealedSecret });
        }
        row.Sealed = sealedSecret;
        row.MasterKeyVersion = masterKeys.CurrentVersion;
        row.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The plain secret, for the platform's own injection path only; null when the tenant has none for the integration.</summary>
    public async Task<string?> RevealAsync(ControlPlaneDbContext db, string tenantId, string integration, CancellationToken ct)
    {
        var row = await db.VaultSecrets.AsNoTracking().SingleOrDefaultAsync(s => s.TenantId == tenantId && s.Integration == integration, ct);
        if (row is null)
        {
            return null;
        }
        var wrapped = await db.VaultKeys.AsNoTracking().SingleAsync(k => k.TenantId == tenantId && k.MasterKeyVersion == row.MasterKeyVersion, ct);
        var dataKey = EnvelopeCipher.Open(masterKeys.Version(wrapped.MasterKeyVersion), wrapped.WrappedKey, KeyBinding(tenantId, wrapped.MasterKeyVersion));
        return Encoding.UTF8.GetString(EnvelopeCipher.Open(dataKey, row.Sealed, SecretBinding(tenantId, integration)));
    }

    public static async Task<bool> DeleteAsync(ControlPlaneDbContext db, string tenantId, string integration, CancellationToken ct) =>
        await db.VaultSecrets.Where(s => s.TenantId == tenantId && s.Integration == integration).ExecuteDeleteAsync(ct) > 0;

    /// <summary>
    /// Seals a secret the ControlPlane keeps for a tenant outside the vault's integrations (e.g. the alert webhook's signing
    /// secret) with the tenant's data key, bound to <paramref name="purpose"/>; the caller stores both values it returns.
    /// </summary>
    public async Task<(byte[] Sealed, int MasterKeyVersion)> SealAsync(ControlPlaneDbContext db, string tenantId, string purpose, string secret, CancellationToken ct)
    {
        var dataKey = await CurrentDataKeyAsync(db, tenantId, ct);
        return (EnvelopeCipher.Seal(dataKey, Encoding.UTF8.GetBytes(secret), PurposeBinding(tenantId, purpose)), masterKeys.CurrentVersion);
    }

    /// <summary>Opens what <see cref="SealAsync"/> made for this tenant and purpose (and nothing sealed for another).</summary>
    public async Task<string> OpenAsync(ControlPlaneDbContext db, string tenantId, string purpose, byte[] sealedSecret, int masterKeyVersion, CancellationToken ct)
    {
        var wrapped = await db.VaultKeys.AsNoTracking().SingleAsync(k => k.TenantId == tenantId && k.MasterKeyVersion == masterKeyVersion, ct);
        var dataKey = EnvelopeCipher.Open(masterKeys.Version(wrapped.MasterKeyVersion), wrapped.WrappedKey, KeyBinding(tenantId, wrapped.MasterKeyVersion));
        return Encoding.UTF8.GetString(EnvelopeCipher.Open(dataKey, sealedSecret, PurposeBinding(tenantId, purpose)));
    }

    private async Task<byte[]> CurrentDataKeyAsync(ControlPlaneDbContext db, string tenantId, CancellationToken ct)
    {
        var version = masterKeys.CurrentVersion;
        var wrapped = await db.VaultKeys.SingleOrDefaultAsync(k => k.TenantId == tenantId && k.MasterKeyVersion == version, ct);
        if (wrapped is not null)
        {
            return EnvelopeCipher.Open(masterKeys.Current, wrapped.WrappedKey, KeyBinding(tenantId, version));
        }
        var dataKey = EnvelopeCipher.NewKey();
        db.VaultKeys.Add(new VaultKey
        {
            TenantId = tenantId, MasterKeyVersion = version, CreatedAt = time.GetUtcNow(),
            WrappedKey = EnvelopeCipher.Seal(masterKeys.Current, dataKey, KeyBinding(tenantId, version)),
        });
        return dataKey;
    }

    private static byte[] KeyBinding(string tenantId, int version) => Encoding.UTF8.GetBytes($"agentcloud-vault-key\n{tenantId}\n{version}");

    private static byte[] PurposeBinding(string tenantId, string purpose) => Encoding.UTF8.GetBytes($"agentcloud-sealed\n{purpose}\n{tenantId}");

    private static byte[] SecretBinding(string tenantId, string integration) => Encoding.UTF8.GetBytes($"agentcloud-vault-secret\n{tenantId}\n{integration}");
}
