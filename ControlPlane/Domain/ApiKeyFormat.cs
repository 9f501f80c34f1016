using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// API keys look like <c>ac_&lt;prefix&gt;_&lt;secret&gt;</c>: the prefix finds the row, the SHA-256 of the whole key proves it.
/// The secret carries about 238 random bits, so an unsalted hash is safe; the key itself is never stored.
/// </summary>
public static class ApiKeyFormat
{
    public const string Scheme = "ac";
    public const int PrefixLength = 12;
    public const int SecretLength = 40;
    private const string PrefixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static (string Prefix, string Key) Generate()
    {
        var prefix = RandomNumberGenerator.GetString(PrefixAlphabet, PrefixLength);
        var secret = RandomNumberGenerator.GetString(SecretAlphabet, SecretLength);
        return (prefix, $"{Scheme}_{prefix}_{secret}");
    }

    /// <summary>The lookup prefix of a well-formed key; false for anything else (without saying which part was wrong).</summary>
    public static bool TryGetPrefix(string? key, [NotNullWhen(true)] out string? prefix)
    {
        prefix = null;
        if (key is null || key.Length != Scheme.Length + PrefixLength + SecretLength + 2) return false;
        var parts = key.Split('_');
        if (parts.Length != 3 || parts[0] != Scheme || parts[1].Length != PrefixLength || parts[2].Length != SecretLength) return false;
        if (!parts[1].All(PrefixAlphabet.Contains) || !parts[2].All(SecretAlphabet.Contains)) return false;
        prefix = parts[1];
        return true;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static bool Matches(string key, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(key), storedHash);
}
