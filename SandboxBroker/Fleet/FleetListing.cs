using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Apis;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// GET /v1/sandboxes lists the tenant's sandboxes across the fleet: this broker's, and each live sibling's own (see
/// <see cref="SiblingCalls"/>). A sibling that does not answer in time is left out rather than failing the listing.
/// </summary>
public static class FleetListing
{
    public static RouteGroupBuilder MapFleetListing(this RouteGroupBuilder api)
    {
        api.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            var http = context.HttpContext;
            if (result is not Ok<SandboxesApi.SandboxView[]> { Value: { } local }
                || !HttpMethods.IsGet(http.Request.Method)
                || http.Features.Get<TenantContext>() is null
                || FleetForwarder.WasForwarded(http.Request))
            {
                return result;
            }
            var siblings = await SiblingCalls.GetFromEachAsync<SandboxesApi.SandboxView[]>(http);
            // Each broker lists only what it holds, cluster sandboxes too; an id is kept once should a sandbox's end race the listing.
            return TypedResults.Ok(local.Concat(siblings.SelectMany(s => s)).DistinctBy(v => v.Id).OrderBy(v => v.CreatedAt).ToArray());
        });
        return api;
    }
}
