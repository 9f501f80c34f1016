using AgentCloud.Platform;
using AgentCloud.Platform.Faults;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentCloud.ServiceDefaults.Faults;

/// <summary>
/// Answers every <see cref="Refusal"/> as its problem+json (with <c>Retry-After</c> when it has one), and a store that is
/// away without saying so (a deadline passed, a connection refused, a transient driver failure) as the 503
/// <see cref="StoreUnavailableException"/> it stands for: in every service, the same way, instead of a 500.
/// </summary>
public sealed class RefusalExceptionHandler(IProblemDetailsService problems, ILogger<RefusalExceptionHandler> logger) : IExceptionHandler
{
    private static readonly Refusal StoreAway = new(StatusCodes.Status503ServiceUnavailable, "store-unavailable", "Service unavailable",
        "A store this service depends on is not answering; try again shortly.", StoreDeadline.DefaultRetryAfter);

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.RequestAborted.IsCancellationRequested || httpContext.Response.HasStarted)
        {
            return false;
        }
        var refusal = exception as Refusal ?? (StoreDeadline.IsStoreAway(exception) ? StoreAway : null);
        if (refusal is null)
        {
            return false;
        }
        if (refusal.Status >= 500)
        {
            logger.LogWarning(exception, "Answered {Status} to {Method} {Path}", refusal.Status, httpContext.Request.Method, httpContext.Request.Path);
        }
        httpContext.Response.StatusCode = refusal.Status;
        if (refusal.RetryAfterHeader is { } retryAfter)
        {
            httpContext.Response.Headers.RetryAfter = retryAfter;
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = refusal.ToProblemDetails(),
        });
    }
}
