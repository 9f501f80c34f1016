using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// Chooses the endpoint by tier: the tenant's dedicated endpoint, or a replica of the shared pool. With cache-aware
/// routing a chat is keyed by the tenant's salt and its prompt's leading blocks, so a repeated prefix returns to the
/// replica that cached it; a tenant whose cache is off has nothing to return to and gets the least busy replica.
/// </summary>
public sealed class PlacementStep(EndpointCatalogue catalogue, PrefixRoutingKey keys, CacheSaltDeriver salts, PlacedCalls placed,
    RoutingTelemetry telemetry, IOptions<RoutingOptions> routing) : IAdmissionStep
{
    public ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        var strategy = routing.Value.Strategy;
        var cacheAware = strategy == RoutingStrategy.CacheAware && call.Kind == InferenceKind.Chat && call.Policy.KvCachePolicy != KvCachePolicy.Off
            && !EndpointCatalogue.WantsDedicated(call.Policy);
        var route = catalogue.Select(call.Policy, call.Model, call.Needs, cacheAware ? keys.For(salts.ForCall(call), call.Prompt) : null);
        if (route is null && catalogue.OnlySharedCacheServes(call.Policy, call.Model, call.Needs))
        {
            return ValueTask.FromResult<Refusal?>(new Refusal(403, "cache-isolation-unavailable", "Cache isolation unavailable",
                $"The model '{call.Model}' is served here only by upstreams whose prompt cache other tenants share, and this tenant's "
                + $"kvCachePolicy '{Platform.Contracts.WireNames.Of(call.Policy.KvCachePolicy)}' requires its own. Ask the operator for an "
                + "endpoint that supports cache_salt or is the tenant's own, or to set kvCachePolicy 'shared'."));
        }
        if (route is null)
        {
            var where = EndpointCatalogue.WantsDedicated(call.Policy) ? "no dedicated endpoint for this tenant serves it" : "no shared endpoint serves it";
            if (call.Needs != CallNeeds.None && catalogue.Select(call.Policy, call.Model) is not null)
            {
                where = call.Needs == CallNeeds.Tools ? "no endpoint serving it accepts tools" : "no endpoint serving it takes embedding calls";
            }
            return ValueTask.FromResult<Refusal?>(new Refusal(503, "model-unavailable", "Model unavailable",
                $"The model '{call.Model}' cannot be served right now: {where}."));
        }
        call.Route = route;
        if (route.Endpoint.IsShared)
        {
            call.Placed = placed.Place(route.Endpoint.Name);
        }
        telemetry.Record(route, strategy == RoutingStrategy.CacheAware ? "cache-aware" : "least-loaded");
        return ValueTask.FromResult<Refusal?>(null);
    }
}
