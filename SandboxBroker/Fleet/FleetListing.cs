using System.Text.Json;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Apis;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// GET /v1/sandboxes lists the tenant's sandboxes across the fleet: this broker's, and each live sibling's own
/// (asked with the caller's signed context and the hop header, so a sibling answers only for itself). A sibling that
/// does not answer in time is left out rather than failing the listing; its sandboxes reappear when it answers again.
/// </summary>
public static class FleetListing
{
    private static readonly TimeSpan SiblingDeadline = TimeSpan.FromSeconds(5);

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
            var siblings = await SiblingListsAsync(http);
            // Cluster sandboxes live in the cluster, so every broker lists them: each id once.
            return TypedResults.Ok(local.Concat(siblings).DistinctBy(v => v.Id).OrderBy(v => v.CreatedAt).ToArray());
        });
        return api;
    }

    private static async Task<IReadOnlyList<SandboxesApi.SandboxView>> SiblingListsAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FleetListing));
        IReadOnlyList<FleetMember> siblings;
        try
        {
            siblings = await services.GetRequiredService<FleetMembership>().LiveSiblingsAsync();
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Could not read the fleet's members; listing this broker's sandboxes only");
            return [];
        }
        var self = services.GetRequiredService<FleetMembership>().HostId;
        using var client = new HttpClient(services.GetRequiredService<FleetForwarder>().Handler, disposeHandler: false) { Timeout = SiblingDeadline };
        var lists = await Task.WhenAll(siblings.Select(async sibling =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, sibling.Address + http.Request.Path);
            foreach (var (name, value) in FleetForwarder.ContextHeaders(http.Request))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            request.Headers.TryAddWithoutValidation(FleetForwarder.HopHeader, self);
            try
            {
                using var response = await client.SendAsync(request, http.RequestAborted);
                response.EnsureSuccessStatusCode();
                return await response.Content.ReadFromJsonAsync<SandboxesApi.SandboxView[]>(JsonSerializerOptions.Web, http.RequestAborted) ?? [];
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                logger.LogWarning(e, "Broker {HostId} did not list its sandboxes in time; leaving them out", sibling.HostId);
                return [];
            }
        }));
        return lists.SelectMany(l => l).ToList();
    }
}
