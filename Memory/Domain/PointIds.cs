using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AgentCloud.Memory.Domain;

/// <summary>
/// Users name points by a string or a non-negative integer; the store gets a UUID derived from (tenant, collection, id),
/// so the same id in two tenants or two collections can never address the same stored point.
/// </summary>
public static class PointIds
{
    public const int MaxStringLength = 256;

    /// <summary>The user's id as canonical JSON text (<c>"abc"</c> or <c>42</c>), or a 400 naming the point.</summary>
    public static string Canonical(JsonElement id, int index)
    {
        switch (id.ValueKind)
        {
            case JsonValueKind.String:
                var s = id.GetString()!;
                if (s.Length is 0 or > MaxStringLength)
                {
                    throw MemoryException.BadRequest($"points[{index}].id must be a string of 1 to {MaxStringLength} characters or a non-negative integer.");
                }
                return JsonSerializer.Serialize(s);
            case JsonValueKind.Number when id.TryGetUInt64(out var n):
                return n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            default:
                throw MemoryException.BadRequest($"points[{index}].id must be a string or a non-negative integer.");
        }
    }

    public static Guid StoreId(CollectionKey key, string canonicalUserId)
    {
        // Length-prefixed parts so ("a:b","c") and ("a","b:c") cannot hash alike.
        var text = $"{key.TenantId.Length}:{key.TenantId}|{key.Name.Length}:{key.Name}|{canonicalUserId}";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // RFC 9562 version 5-style layout
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>A short stable name for store objects of a tenant's collection (Qdrant collection, Postgres table).</summary>
    public static string PhysicalName(string prefix, CollectionKey key)
    {
        var text = $"{key.TenantId.Length}:{key.TenantId}|{key.Name}";
        return prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
    }
}
