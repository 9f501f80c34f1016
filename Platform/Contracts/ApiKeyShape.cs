using System.Diagnostics.CodeAnalysis;

namespace AgentCloud.Platform.Contracts;

/// <summary>
/// The one shape of an AgentCloud API key: <c>ac_&lt;prefix&gt;_&lt;secret&gt;</c>, a 12-character lowercase
/// alphanumeric lookup prefix and a 40-character alphanumeric secret. The Gateway refuses anything else without asking
/// the ControlPlane; the ControlPlane mints and looks up by it.
/// </summary>
public static class ApiKeyShape
{
    public const string Scheme = "ac";
    public const int PrefixLength = 12;
    public const int SecretLength = 40;
    public const int Length = 2 + PrefixLength + SecretLength + 2;
    public const string PrefixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    public const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public const string Description = "ac_ followed by a 12-character lowercase prefix, '_' and a 40-character secret of letters and digits";

    public static bool IsWellFormed(string? key) => TryGetPrefix(key, out _);

    /// <summary>The lookup prefix of a well-formed key; false for anything else (without saying which part was wrong).</summary>
    public static bool TryGetPrefix(string? key, [NotNullWhen(true)] out string? prefix)
    {
        prefix = null;
        if (key is null || key.Length != Length || !key.StartsWith(Scheme + "_", StringComparison.Ordinal) || key[3 + PrefixLength] != '_')
        {
            return false;
        }
        var p = key.AsSpan(3, PrefixLength);
        var s = key.AsSpan(4 + PrefixLength);
        foreach (var c in p)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))) return false;
        }
        foreach (var c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c)) return false;
        }
        prefix = p.ToString();
        return true;
    }
}
