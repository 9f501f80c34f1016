using AgentCloud.Platform;
using AgentCloud.Platform.Faults;
using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentCloud.ServiceDefaults.Faults;

/// <summary>
/// Turns a store that is away (a deadline passed, a connection refused, a transient driver failure) into
/// <c>503 application/problem+json</c> with <c>Retry-After</c>, in every service, instead of a 500.
/// </summary>
public sealed class StoreUnavailableExceptionHandler(IProblemDetailsService problems, ILogger<StoreUnavailableExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.RequestAborted.IsCancellationRequested || !StoreDeadline.IsStoreAway(exception) || context.Response.HasStarted)
        {
            return false;
        }
        var unavailable = exception as StoreUnavailableException;
        var retryAfter = unavailable?.RetryAfter ?? StoreDeadline.DefaultRetryAfter;
        logger.LogWarning(exception, "A store is away; answered 503 to {Method} {Path}", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Type = Problems.TypeUri("store-unavailable"),
                Title = "Service unavailable",
                Detail = unavailable?.Message ?? "A store this service depends on is not answering; try again shortly.",
            },
        });
    }
}
