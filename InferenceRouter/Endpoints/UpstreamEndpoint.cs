using AgentCloud.Platform.Contracts;
using AgentCloud.InferenceRouter.Extensions;

namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>A catalogue entry as the router uses it.</summary>
public sealed record UpstreamEndpoint(string Name, Uri BaseUrl, IReadOnlySet<string> Models, InferencePlacement Placement, string? TenantId, string? Tier, string ApiKey, string ApiKeyHeader)
{
    /// <summary>The platform-wide weighted-token budget per minute on this endpoint (0: none).</summary>
    public long TokensPerMinute { get; init; }

    public bool IsShared => Placement == InferencePlacement.Shared;

    public bool Serves(string model) => Models.Contains(model);

    public Uri Path(string relative) => new(BaseUrl.AbsoluteUri.TrimEnd('/') + "/" + relative);

    public static UpstreamEndpoint From(EndpointOptions e, string fallbackKey) => new(
        e.Name, new Uri(e.BaseUrl), new HashSet<string>(e.Models, StringComparer.Ordinal), e.Placement,
        string.IsNullOrWhiteSpace(e.TenantId) ? null : e.TenantId, string.IsNullOrWhiteSpace(e.Tier) ? null : e.Tier,
        string.IsNullOrEmpty(e.ApiKey) ? fallbackKey : e.ApiKey, e.ApiKeyHeader) { TokensPerMinute = e.TokensPerMinute };
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
