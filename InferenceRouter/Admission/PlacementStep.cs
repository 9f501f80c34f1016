using AgentCloud.InferenceRouter.Endpoints;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>Chooses the endpoint by tier: the tenant's dedicated endpoint, or the least busy one of the shared pool.</summary>
public sealed class PlacementStep(EndpointCatalogue catalogue) : IAdmissionStep
{
    public ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        var route = catalogue.Select(call.Policy, call.Model, call.Needs);
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
        return ValueTask.FromResult<Refusal?>(null);
    }
}
