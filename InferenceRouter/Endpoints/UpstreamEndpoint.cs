using AgentCloud.Platform.Contracts;
using AgentCloud.InferenceRouter.Extensions;

namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>A catalogue entry as the router uses it.</summary>
public sealed record UpstreamEndpoint(string Name, Uri BaseUrl, IReadOnlySet<string> Models, InferencePlacement Placement, string? TenantId, string? Tier, string ApiKey, string ApiKeyHeader)
{
    /// <summary>The platform-wide weighted-token budget per minute on this endpoint (0: none).</summary>
    public long TokensPerMinute { get; init; }

    public EndpointKind Kind { get; init; } = EndpointKind.Simulator;

    /// <summary>Public model id to the upstream's own name, for the ids that differ.</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Whether prompts under different <c>cache_salt</c> never share cached tokens here.</summary>
    public bool SupportsCacheSalt { get; init; } = true;

    public string? ApiVersion { get; init; }

    public bool SupportsTools { get; init; } = true;

    public bool SupportsEmbeddings { get; init; } = true;

    public bool IsShared => Placement == InferencePlacement.Shared;

    /// <summary>A cache other tenants' prompts may reach: no salt partitions it, and it is not one tenant's own endpoint.</summary>
    public bool HasCrossTenantCache => !SupportsCacheSalt && TenantId is null;

    public bool Serves(string model) => Models.Contains(model);

    public string UpstreamModel(string model) => Aliases.TryGetValue(model, out var upstream) ? upstream : model;

    public Uri Path(string relative) => new(BaseUrl.AbsoluteUri.TrimEnd('/') + "/" + relative
        + (string.IsNullOrEmpty(ApiVersion) ? "" : "?api-version=" + Uri.EscapeDataString(ApiVersion)));

    public static UpstreamEndpoint From(EndpointOptions e, string fallbackKey) => new(
        e.Name, new Uri(e.BaseUrl), new HashSet<string>(e.Models, StringComparer.Ordinal), e.Placement,
        string.IsNullOrWhiteSpace(e.TenantId) ? null : e.TenantId, string.IsNullOrWhiteSpace(e.Tier) ? null : e.Tier,
        // The platform's own upstream key is for its simulators; another kind without a key of its own is sent none.
        !string.IsNullOrEmpty(e.ApiKey) ? e.ApiKey : e.Kind == EndpointKind.Simulator ? fallbackKey : "",
        // Azure OpenAI takes its key in api-key; Authorization there is for Entra tokens.
        e.Kind == EndpointKind.AzureOpenAi && e.ApiKeyHeader == "Authorization" ? "api-key" : e.ApiKeyHeader)
    {
        TokensPerMinute = e.TokensPerMinute,
        Kind = e.Kind,
        Aliases = e.Aliases.ToDictionary(a => a.Model, a => a.Upstream, StringComparer.Ordinal),
        SupportsCacheSalt = e.CacheSalt ?? e.Kind.SupportsCacheSaltByDefault(),
        ApiVersion = string.IsNullOrWhiteSpace(e.ApiVersion) ? null : e.ApiVersion,
        SupportsTools = e.Tools,
        SupportsEmbeddings = e.Embeddings,
    };
}

/// <summary>What a call needs of an endpoint beyond serving its model.</summary>
[Flags]
public enum CallNeeds
{
    None = 0,
    Tools = 1,
    Embeddings = 2,
}

/// <summary>Where a request goes: the endpoint, and whether it is the tenant's own (then no other tenant shares its cache).</summary>
public sealed record EndpointRoute(UpstreamEndpoint Endpoint, InferencePlacement Placement, bool ExclusiveToTenant)
{
    /// <summary>How the endpoint was chosen, for telemetry only (never told to the client).</summary>
    public RouteDecision Decision { get; init; } = RouteDecision.Dedicated;
}

public enum RouteDecision
{
    Dedicated,
    LeastLoaded,

    /// <summary>The replica the prompt's routing key hashes to: the one likely to hold its prefix in cache.</summary>
    CacheAffinity,

    /// <summary>The key's replica was above the load bound; the call went to the next replica round the ring.</summary>
    CacheSpill,
}
