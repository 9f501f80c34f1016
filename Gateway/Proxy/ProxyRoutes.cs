using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace AgentCloud.Gateway.Proxy;

/// <summary>
/// The public routes of docs/api.md: the service that owns each and the one capability a caller needs for it. This table is
/// the only place a route is made: a route always carries its capability, and <see cref="RouteCapabilityMiddleware"/>
/// refuses a call without it before anything is forwarded. Destinations are service-discovery names
/// ("http://controlplane"), resolved to the instances the AppHost started. Internal APIs are never routed.
/// </summary>
public static class ProxyRoutes
{
    /// <summary>The route metadata entry naming the capability the route needs.</summary>
    public const string CapabilityKey = "agentcloud.capability";

    /// <summary>What the admin routes need: the operator context the Gateway makes for the admin key.</summary>
    public const string Operator = TenantContext.AdminCapability;

    /// <summary><c>LongRunning</c>: forwarded through a cluster of its own with the long idle timeout (same service, same destinations).</summary>
    private sealed record Row(string RouteId, string Path, string Cluster, string Capability, string[]? Methods = null, bool LongRunning = false)
    {
        public string ClusterId => LongRunning ? Cluster + LongRunningSuffix : Cluster;
    }

    private const string LongRunningSuffix = "-long-running";

    private static readonly Row[] Table =
    [
        new("admin-tenants", "/admin/v1/tenants/{**rest}", ServiceNames.ControlPlane, Operator),
        new("admin-audit", "/admin/v1/audit", ServiceNames.ControlPlane, Operator),
        new("admin-usage", "/admin/v1/usage", ServiceNames.UsageAggregator, Operator),
        new("admin-usage-reconciliation", "/admin/v1/usage/reconciliation", ServiceNames.UsageAggregator, Operator),
        new("admin-sandboxes", "/admin/v1/sandboxes", ServiceNames.SandboxBroker, Operator),
        // Any method: the vault is write-only, and whatever is added under it later changes or reveals which credentials exist.
        new("credentials", "/v1/credentials/{**rest}", ServiceNames.ControlPlane, CapabilityCatalogue.CredentialsWrite),
        new("keys", "/v1/keys/{**rest}", ServiceNames.ControlPlane, CapabilityCatalogue.KeysAdmin),
        new("projects", "/v1/projects/{**rest}", ServiceNames.ControlPlane, CapabilityCatalogue.ProjectsAdmin),
        new("alerts", "/v1/alerts/{**rest}", ServiceNames.ControlPlane, CapabilityCatalogue.AlertsAdmin),
        new("models", "/v1/models/{**rest}", ServiceNames.InferenceRouter, CapabilityCatalogue.Inference),
        new("chat", "/v1/chat/{**rest}", ServiceNames.InferenceRouter, CapabilityCatalogue.Inference),
        new("embeddings", "/v1/embeddings", ServiceNames.InferenceRouter, CapabilityCatalogue.Inference),
        new("responses", "/v1/responses", ServiceNames.InferenceRouter, CapabilityCatalogue.Inference),
        new("sandboxes", "/v1/sandboxes/{**rest}", ServiceNames.SandboxBroker, CapabilityCatalogue.Sandbox),
        // An exec answers when its command ends (or streams, with keep-alives), up to the broker's longest exec.
        new("sandbox-exec", "/v1/sandboxes/{id}/exec", ServiceNames.SandboxBroker, CapabilityCatalogue.Sandbox, ["POST"], LongRunning: true),
        // A followed process log streams for as long as the process runs.
        new("sandbox-process-logs", "/v1/sandboxes/{id}/processes/{pid}/logs", ServiceNames.SandboxBroker, CapabilityCatalogue.Sandbox, ["GET"], LongRunning: true),
        new("memory-search", "/v1/memory/{collection}/search", ServiceNames.Memory, CapabilityCatalogue.MemoryRead, ["POST"]),
        new("memory-collections", "/v1/memory", ServiceNames.Memory, CapabilityCatalogue.MemoryRead, ["GET"]),
        new("memory", "/v1/memory/{**rest}", ServiceNames.Memory, CapabilityCatalogue.MemoryWrite),
        new("usage", "/v1/usage", ServiceNames.UsageAggregator, CapabilityCatalogue.UsageRead),
        // The tools service checks each tool:<name> itself; the route admits a key holding at least one.
        new("mcp", "/v1/mcp/{**rest}", ServiceNames.Tools, CapabilityCatalogue.AnyTool),
        new("tool-servers", "/v1/tools/{**rest}", ServiceNames.Tools, CapabilityCatalogue.CredentialsWrite),
    ];

    public static IReadOnlyList<RouteConfig> Routes { get; } =
        Table.Select(r => new RouteConfig
        {
            RouteId = r.RouteId,
            ClusterId = r.ClusterId,
            Match = new RouteMatch { Path = r.Path, Methods = r.Methods },
            Metadata = new Dictionary<string, string> { [CapabilityKey] = r.Capability },
        }).ToList();

    /// <summary>The capability a route needs; null for a route outside this table (refused, never forwarded).</summary>
    public static string? CapabilityOf(RouteConfig route) =>
        route.Metadata?.TryGetValue(CapabilityKey, out var capability) == true ? capability : null;

    /// <summary>The service a cluster forwards to: the audience of the tenant context the call carries.</summary>
    public static string ServiceOf(string clusterId) =>
        clusterId.EndsWith(LongRunningSuffix, StringComparison.Ordinal) ? clusterId[..^LongRunningSuffix.Length] : clusterId;

    /// <summary>
    /// One cluster per service, and one more for a service's long-running routes; an upstream silent for
    /// <paramref name="idleTimeout"/> (<paramref name="longRunningIdleTimeout"/> on those routes) is answered 504.
    /// </summary>
    public static IReadOnlyList<ClusterConfig> Clusters(TimeSpan idleTimeout, TimeSpan longRunningIdleTimeout) =>
        Table.DistinctBy(r => r.ClusterId).Select(r => new ClusterConfig
        {
            ClusterId = r.ClusterId,
            Destinations = new Dictionary<string, DestinationConfig> { [r.Cluster] = new() { Address = $"http://{r.Cluster}" } },
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = r.LongRunning ? longRunningIdleTimeout : idleTimeout },
        }).ToList();
}
