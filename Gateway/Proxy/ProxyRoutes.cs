using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace AgentCloud.Gateway.Proxy;

/// <summary>
/// The public path prefixes of API.md and the service that owns each. Destinations are service-discovery
/// names ("http://controlplane"), resolved to the instances the AppHost started. Internal APIs are never routed.
/// </summary>
public static class ProxyRoutes
{
    public const string ControlPlane = "controlplane";
    public const string InferenceRouter = "inference-router";
    public const string SandboxBroker = "sandbox-broker";
    public const string UsageAggregator = "usage-aggregator";
    public const string Memory = "memory";
    public const string Tools = "tools";

    private static readonly (string RouteId, string Path, string Cluster)[] Table =
    [
        ("admin-tenants", "/admin/v1/tenants/{**rest}", ControlPlane),
        ("admin-audit", "/admin/v1/audit", ControlPlane),
        ("admin-usage", "/admin/v1/usage", UsageAggregator),
        ("admin-usage-reconciliation", "/admin/v1/usage/reconciliation", UsageAggregator),
        ("credentials", "/v1/credentials/{**rest}", ControlPlane),
        ("models", "/v1/models/{**rest}", InferenceRouter),
        ("chat", "/v1/chat/{**rest}", InferenceRouter),
        ("embeddings", "/v1/embeddings", InferenceRouter),
        ("sandboxes", "/v1/sandboxes/{**rest}", SandboxBroker),
        ("memory", "/v1/memory/{**rest}", Memory),
        ("usage", "/v1/usage", UsageAggregator),
        ("mcp", "/v1/mcp", Tools),
        ("tools", "/v1/tools/{**rest}", Tools),
    ];

    public static IReadOnlyList<RouteConfig> Routes { get; } =
        Table.Select(r => new RouteConfig { RouteId = r.RouteId, ClusterId = r.Cluster, Match = new RouteMatch { Path = r.Path } }).ToList();

    /// <summary>One cluster per service; an upstream silent for <paramref name="idleTimeout"/> is answered 504.</summary>
    public static IReadOnlyList<ClusterConfig> Clusters(TimeSpan idleTimeout) =>
        Table.Select(r => r.Cluster).Distinct().Select(c => new ClusterConfig
        {
            ClusterId = c,
            Destinations = new Dictionary<string, DestinationConfig> { [c] = new() { Address = $"http://{c}" } },
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = idleTimeout },
        }).ToList();
}
