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
        var route = catalogue.Select(call.Policy, call.Model, cacheAware ? keys.For(salts.ForTenant(call.Context.TenantId), call.Prompt) : null);
        if (route is null)
        {
            var where = EndpointCatalogue.WantsDedicated(call.Policy) ? "no dedicated endpoint for this tenant serves it" : "no shared endpoint serves it";
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
