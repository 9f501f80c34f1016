using AgentCloud.Platform;

namespace AgentCloud.Gateway.Proxy;

/// <summary>
/// A service that cannot be reached (its process restarting, its connection reset before it answered) is a
/// passing outage, not a broken request: the caller gets 503 with Retry-After (type upstream-unavailable) instead
/// of the forwarder's bare 502, the same promise every service makes when its own store is away.
/// </summary>
public static class UpstreamUnavailable
{
    public const string RetryAfterSeconds = "1";

    public static async Task InvokeAsync(HttpContext http, Func<Task> next)
    {
        await next();
        var error = http.GetForwarderErrorFeature()?.Error;
        if (error is null || http.Response.HasStarted || http.Response.StatusCode != StatusCodes.Status502BadGateway || http.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        http.Response.Headers.RetryAfter = RetryAfterSeconds;
        await Problems.Create(StatusCodes.Status503ServiceUnavailable, "upstream-unavailable", "Service unavailable",
                "The service behind this call could not be reached or dropped the call before answering; retry in a second.")
            .ExecuteAsync(http);
    }
}
