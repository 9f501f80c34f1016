using System.Security.Cryptography;
using System.Text;
using AgentCloud.ControlPlane.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>The vault's master keys by version (the current one wraps new data keys; older ones only unwrap), derived from the configured secrets.</summary>
public sealed class MasterKeyRing
{
    private readonly Dictionary<int, byte[]> _keys = [];

    public MasterKeyRing(IOptions<ControlPlaneOptions> options)
    {
        var o = options.Value;
        foreach (var (version, secret) in o.PreviousVaultMasterKeys)
        {
            _keys[version] = Derive(secret, version);
        }
        CurrentVersion = o.VaultMasterKeyVersion;
        _keys[CurrentVersion] = Derive(o.VaultMasterKey, CurrentVersion);
    }

    public int CurrentVersion { get; }

    public byte[] Current => _keys[CurrentVersion];

    public byte[] Version(int version) =>
        _keys.TryGetValue(version, out var key) ? key : throw new InvalidOperationException($"Vault master key version {version} is not configured.");

    private static byte[] Derive(string secret, int version) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), EnvelopeCipher.KeySize,
            info: Encoding.UTF8.GetBytes($"agentcloud-vault-master-v{version}"));
}
