using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// API keys look like <c>ac_&lt;prefix&gt;_&lt;secret&gt;</c>: the prefix finds the row, the SHA-256 of the whole key proves it.
/// The secret carries about 238 random bits, so an unsalted hash is safe; the key itself is never stored.
/// </summary>
public static class ApiKeyFormat
{
    public static (string Prefix, string Key) Generate()
    {
        var prefix = RandomNumberGenerator.GetString(ApiKeyShape.PrefixAlphabet, ApiKeyShape.PrefixLength);
        var secret = RandomNumberGenerator.GetString(ApiKeyShape.SecretAlphabet, ApiKeyShape.SecretLength);
        return (prefix, $"{ApiKeyShape.Scheme}_{prefix}_{secret}");
    }

    /// <summary>A new secret under an existing prefix: the same key row, found the same way (rotation).</summary>
    public static string WithPrefix(string prefix) =>
        $"{ApiKeyShape.Scheme}_{prefix}_{RandomNumberGenerator.GetString(ApiKeyShape.SecretAlphabet, ApiKeyShape.SecretLength)}";

    /// <summary>The lookup prefix of a well-formed key; false for anything else (without saying which part was wrong).</summary>
    public static bool TryGetPrefix(string? key, [NotNullWhen(true)] out string? prefix) => ApiKeyShape.TryGetPrefix(key, out prefix);

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static bool Matches(string key, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(key), storedHash);
}
