using AgentCloud.InferenceRouter.Endpoints;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>Chooses the endpoint by tier: the tenant's dedicated endpoint, or the least busy one of the shared pool.</summary>
public sealed class PlacementStep(EndpointCatalogue catalogue) : IAdmissionStep
{
    public ValueTask<Refusal?> AdmitAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        var route = catalogue.Select(call.Policy, call.Model);
        if (route is null)
        {
            var where = EndpointCatalogue.WantsDedicated(call.Policy) ? "no dedicated endpoint for this tenant serves it" : "no shared endpoint serves it";
            return ValueTask.FromResult<Refusal?>(new Refusal(503, "model-unavailable", "Model unavailable",
                $"The model '{call.Model}' cannot be served right now: {where}."));
        }
        call.Route = route;
        return ValueTask.FromResult<Refusal?>(null);
    }
}
