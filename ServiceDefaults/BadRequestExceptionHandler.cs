using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Turns request-parsing failures (malformed JSON, wrong types, oversized bodies) into a 4xx problem+json
/// that says what was wrong, instead of a 500.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }
        context.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = bad.StatusCode,
                Type = AgentCloud.Platform.Problems.TypeUri(bad.StatusCode == 413 ? "body-too-large" : "bad-request"),
                Title = bad.StatusCode == 413 ? "Request body too large" : "The request could not be read",
                Detail = (bad.InnerException?.Message ?? bad.Message),
            },
        });
    }
}
