using System.Text.Json;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// Asks every live sibling broker the same GET the caller asked this one (with the caller's signed context and the
/// hop header, so each answers for itself only). A sibling that does not answer in time is left out, logged.
/// </summary>
public static class SiblingCalls
{
    private static readonly TimeSpan SiblingDeadline = TimeSpan.FromSeconds(5);

    public static async Task<IReadOnlyList<T>> GetFromEachAsync<T>(HttpContext http) where T : class
    {
        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SiblingCalls));
        var membership = services.GetRequiredService<FleetMembership>();
        IReadOnlyList<FleetMember> siblings;
        try
        {
            siblings = await membership.LiveSiblingsAsync();
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Could not read the fleet's members; answering for this broker only");
            return [];
        }
        using var client = new HttpClient(services.GetRequiredService<FleetForwarder>().Handler, disposeHandler: false) { Timeout = SiblingDeadline };
        var answers = await Task.WhenAll(siblings.Select(async sibling =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, sibling.Address + http.Request.Path + http.Request.QueryString);
            foreach (var (name, value) in FleetForwarder.ContextHeaders(http.Request))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            request.Headers.TryAddWithoutValidation(FleetForwarder.HopHeader, membership.HostId);
            try
            {
                using var response = await client.SendAsync(request, http.RequestAborted);
                response.EnsureSuccessStatusCode();
                return await response.Content.ReadFromJsonAsync<T>(JsonSerializerOptions.Web, http.RequestAborted);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                logger.LogWarning(e, "Broker {HostId} did not answer {Path} in time; leaving its part out", sibling.HostId, http.Request.Path);
                return null;
            }
        }));
        return answers.OfType<T>().ToList();
    }
}
