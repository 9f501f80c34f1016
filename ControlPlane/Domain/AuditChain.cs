using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>One link of a tenant's audit chain, as hashed.</summary>
public sealed record AuditLink(string TenantId, long Sequence, DateTimeOffset At, string Actor, string Action, string Detail, byte[] PreviousHash, byte[] Hash);

/// <summary>The result of checking a chain: the first sequence number that does not hold, if any.</summary>
public sealed record AuditVerification(bool Verified, long? BrokenAt, string? Reason);

/// <summary>
/// Each event's hash covers the previous event's hash and this event's content, so changing, removing or
/// reordering any event breaks every later link; the stored head catches removal of the newest ones.
/// </summary>
public static class AuditChain
{
    public static readonly byte[] Genesis = new byte[32];

    public static byte[] HashOf(byte[] previousHash, string tenantId, long sequence, DateTimeOffset at, string actor, string action, string detail)
    {
        var content = string.Join('\n', tenantId, sequence.ToString(CultureInfo.InvariantCulture),
            at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), Escape(actor), Escape(action), Escape(detail));
        return SHA256.HashData([.. previousHash, .. Encoding.UTF8.GetBytes(content)]);
    }

    /// <summary>Checks links in sequence order against each other and against the head (last sequence and hash) if one is stored.</summary>
    public static AuditVerification Verify(IReadOnlyList<AuditLink> links, (long Sequence, byte[] Hash)? head) =>
        Verify(links, head, 0, Genesis);

    /// <summary>
    /// Checks a page of links that follows event <paramref name="afterSequence"/> (whose hash is <paramref name="afterHash"/>);
    /// pass the head only with the last page.
    /// </summary>
    public static AuditVerification Verify(IReadOnlyList<AuditLink> links, (long Sequence, byte[] Hash)? head, long afterSequence, byte[] afterHash)
    {
        var previous = afterHash;
        var expected = afterSequence + 1;
        foreach (var link in links)
        {
            if (link.Sequence != expected) return new(false, expected, $"event {expected} is missing");
            if (!link.PreviousHash.AsSpan().SequenceEqual(previous)) return new(false, link.Sequence, "the link to the previous event does not match");
            var hash = HashOf(previous, link.TenantId, link.Sequence, link.At, link.Actor, link.Action, link.Detail);
            if (!hash.AsSpan().SequenceEqual(link.Hash)) return new(false, link.Sequence, "the event's content does not match its hash");
            previous = link.Hash;
            expected++;
        }
        if (head is { } h && (h.Sequence != expected - 1 || !h.Hash.AsSpan().SequenceEqual(previous)))
        {
            return new(false, Math.Min(expected, h.Sequence), $"the chain ends at event {expected - 1} but the head says {h.Sequence}");
        }
        return new(true, null, null);
    }

    /// <summary>Truncates to what the database keeps, so a timestamp hashes the same after a round trip.</summary>
    public static DateTimeOffset Normalize(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\n", "\\n");
}
