using System.Security.Cryptography;
using System.Text;

namespace AgentCloud.ControlPlane.Alerts;

/// <summary>
/// How an alert is signed: <c>X-AgentCloud-Signature: sha256=&lt;hex&gt;</c>, the lower-case hex HMAC-SHA256, keyed with the
/// UTF-8 bytes of the tenant's secret, of the UTF-8 bytes of <c>{X-AgentCloud-Timestamp}.{body}</c> (Unix seconds, a dot,
/// the exact body). Signing the timestamp lets a receiver refuse an old request replayed to it.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-AgentCloud-Signature";
    public const string TimestampHeader = "X-AgentCloud-Timestamp";
    public const string AlertIdHeader = "X-AgentCloud-Alert-Id";
    public const string Scheme = "sha256=";

    /// <summary>A new secret: <c>whsec_</c> and 32 random bytes, base64url.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        var payload = new byte[prefix.Length + body.Length];
        prefix.CopyTo(payload, 0);
        body.CopyTo(payload.AsSpan(prefix.Length));
        return Scheme + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload));
    }

    /// <summary>What a receiver does: recompute and compare in constant time.</summary>
    public static bool Verify(string secret, long timestamp, ReadOnlySpan<byte> body, string? signature) =>
        signature is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, timestamp, body)), Encoding.ASCII.GetBytes(signature));
}
