using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using static AgentCloud.SandboxBroker.Apis.AdminSandboxesApi;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// The operator's GET /admin/v1/sandboxes across the fleet: every broker answers the same page request (same cursor
/// and limit) for its own sandboxes, each page already in (tenant, id) order, so the merged page is the first
/// <c>limit</c> of their union, and there is more when any broker had more or the union was longer.
/// </summary>
public static class FleetAdminListing
{
    public static RouteGroupBuilder MapFleetAdminListing(this RouteGroupBuilder api)
    {
        api.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            var http = context.HttpContext;
            // The handler answers Results<Ok<…>, ProblemHttpResult>: the page is the result inside.
            var answer = result is INestedHttpResult nested ? nested.Result : result;
            if (answer is not Ok<AdminSandboxPage> { Value: { } local } || FleetForwarder.WasForwarded(http.Request))
            {
                return result;
            }
            var pages = (await SiblingCalls.GetFromEachAsync<AdminSandboxPage>(http)).Append(local).ToList();
            var merged = pages.SelectMany(p => p.Sandboxes).DistinctBy(v => v.Id)
                .OrderBy(v => v.TenantId, StringComparer.Ordinal).ThenBy(v => v.Id, StringComparer.Ordinal).ToList();
            var limit = int.TryParse(http.Request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var asked) ? asked : DefaultLimit;
            var page = merged.Take(limit).ToList();
            var more = merged.Count > limit || pages.Any(p => p.NextCursor is not null);
            return TypedResults.Ok(new AdminSandboxPage(page, more && page.Count > 0 ? EncodeCursor(page[^1]) : null));
        });
        return api;
    }
}
