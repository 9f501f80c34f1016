using System.Globalization;

namespace AgentCloud.AppHost;

/// <summary>
/// How many SandboxBroker replicas run: <c>AgentCloud:Replicas:sandbox-broker</c>, else <c>AgentCloud:Replicas</c>, else 2.
/// Replicas share one sandbox root on a machine (each claims an instance of it) and Redis, where sandboxes' owners are kept.
/// </summary>
public static class BrokerReplicas
{
    public const int Default = 2;

    public static int Of(IConfiguration configuration, string service)
    {
        foreach (var key in new[] { $"AgentCloud:Replicas:{service}", "AgentCloud:Replicas" })
        {
            if (int.TryParse(configuration[key], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1)
            {
                return n;
            }
        }
        return Default;
    }

    /// <summary>
    /// Runs the service's configured number of replicas. More than one needs Aspire's proxy in front (it spreads calls
    /// over them, each replica on a port of its own): a local run otherwise gives services their own ports unproxied.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithConfiguredReplicas(this IResourceBuilder<ProjectResource> service, IConfiguration configuration)
    {
        var replicas = Of(configuration, service.Resource.Name);
        if (replicas == 1)
        {
            return service;
        }
        return service.WithEndpoint("http", endpoint => endpoint.IsProxied = true).WithReplicas(replicas);
    }
}
