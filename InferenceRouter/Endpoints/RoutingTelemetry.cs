using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>
/// Where each call went and why, for operators: a counter per endpoint and decision on the
/// <c>AgentCloud.InferenceRouter.Routing</c> meter, and tags on the call's trace. Clients are never told.
/// </summary>
public sealed class RoutingTelemetry
{
    public const string MeterName = "AgentCloud.InferenceRouter.Routing";

    private readonly Counter<long> _routes;

    public RoutingTelemetry(IMeterFactory meters)
    {
        _routes = meters.Create(MeterName).CreateCounter<long>("agentcloud.router.routes", "{call}", "Calls placed, per endpoint and routing decision");
    }

    public void Record(EndpointRoute route, string strategy)
    {
        var decision = DecisionName(route.Decision);
        _routes.Add(1, new KeyValuePair<string, object?>("endpoint", route.Endpoint.Name), new KeyValuePair<string, object?>("decision", decision),
            new KeyValuePair<string, object?>("strategy", strategy));
        if (Activity.Current is { } activity)
        {
            activity.SetTag("agentcloud.route.endpoint", route.Endpoint.Name);
            activity.SetTag("agentcloud.route.strategy", strategy);
            activity.SetTag("agentcloud.route.decision", decision);
        }
    }

    private static string DecisionName(RouteDecision decision) => decision switch
    {
        RouteDecision.Dedicated => "dedicated",
        RouteDecision.LeastLoaded => "least-loaded",
        RouteDecision.CacheAffinity => "cache-affinity",
        _ => "cache-spill",
    };
}
