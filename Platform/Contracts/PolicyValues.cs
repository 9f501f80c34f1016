using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentCloud.Platform.Contracts;

/// <summary>What the Gateway does when Redis cannot decide a rate limit in time (on the wire <c>closed</c>, <c>open</c>).</summary>
[JsonConverter(typeof(WireEnumConverter<RateLimitFailMode>))]
public enum RateLimitFailMode
{
    Closed,
    Open,
}

/// <summary>Where a tenant's inference runs (<c>shared</c>, <c>dedicated</c>).</summary>
[JsonConverter(typeof(WireEnumConverter<InferencePlacement>))]
public enum InferencePlacement
{
    Shared,
    Dedicated,
}

/// <summary>
/// How a tenant's prompts share the KV cache (<c>isolated</c>: a per-tenant salt, <c>off</c>, <c>dedicated</c>: own endpoints,
/// <c>shared</c>: may also be placed on upstreams whose cache no salt partitions, such as OpenAI's).
/// </summary>
[JsonConverter(typeof(WireEnumConverter<KvCachePolicy>))]
public enum KvCachePolicy
{
    Isolated,
    Off,
    Dedicated,
    Shared,
}

/// <summary>How a tenant's memory collections are laid out (<c>shared-collection</c>, <c>dedicated-collection</c>).</summary>
[JsonConverter(typeof(WireEnumConverter<MemoryIsolation>))]
public enum MemoryIsolation
{
    /// <summary>One store collection for many tenants; <c>tenant_id</c> on every point and in every condition.</summary>
    SharedCollection,

    /// <summary>A store collection (Qdrant collection / Postgres table) of the tenant's own.</summary>
    DedicatedCollection,
}

/// <summary>
/// A policy enum on the wire: exactly its kebab-case name (<c>SharedCollection</c> is <c>shared-collection</c>); a number,
/// another spelling or an unknown word is refused rather than mapped to some value.
/// </summary>
public sealed class WireEnumConverter<T> : JsonConverter<T> where T : struct, Enum
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && WireNames.TryParse<T>(reader.GetString(), out var value)
            ? value
            : throw new JsonException($"Expected one of {string.Join(", ", WireNames.All<T>())} for {typeof(T).Name}.");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(WireNames.Of(value));
}

/// <summary>The wire names of the policy enums, for the places that read or validate them as text (API input, configuration).</summary>
public static class WireNames
{
    public static string Of<T>(T value) where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    public static IReadOnlyList<string> All<T>() where T : struct, Enum => [.. Enum.GetValues<T>().Select(Of)];

    public static bool TryParse<T>([NotNullWhen(true)] string? text, out T value) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(Of(candidate), text, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>The value named <paramref name="text"/>; only for text already validated (stored overrides, tier tables).</summary>
    public static T Parse<T>(string text) where T : struct, Enum =>
        TryParse<T>(text, out var value) ? value : throw new FormatException($"'{text}' is not one of {string.Join(", ", All<T>())}.");
}
