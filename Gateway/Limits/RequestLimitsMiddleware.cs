using System.Globalization;
using AgentCloud.Platform;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace AgentCloud.Gateway.Limits;

/// <summary>
/// Sets the route's body limit on the request (Kestrel then stops a chunked body that runs past it) and answers a
/// declared <c>Content-Length</c> over the limit with 413 problem+json at once, before any upstream is called.
/// </summary>
public sealed class RequestLimitsMiddleware(RequestDelegate next, IOptions<RequestLimitsOptions> options)
{
    // Not async: the usual call only sets the limit and goes on, so it needs no state machine of its own.
    public Task InvokeAsync(HttpContext http)
    {
        var limit = BodyLimits.For(http.Request.Method, http.Request.Path, options.Value);
        if (http.Request.ContentLength > limit)
        {
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, "body-too-large", "Request body too large",
                    $"This call accepts a body of at most {limit.ToString(CultureInfo.InvariantCulture)} bytes; " +
                    $"yours declares {http.Request.ContentLength.Value.ToString(CultureInfo.InvariantCulture)}.")
                .ExecuteAsync(http);
        }
        var sizeFeature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = limit;
        }
        return next(http);
    }
}
