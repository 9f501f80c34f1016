using AgentCloud.Platform;

namespace AgentCloud.Gateway.Limits;

/// <summary>
/// Gives the bare status codes the server or the proxy produce on their own (a body cut off at its limit, an upstream
/// that cannot be reached or stays silent) the same problem+json shape, with a type and a detail, as our own answers.
/// </summary>
public static class GatewayProblemDetails
{
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Detail is not null)
        {
            return;
        }
        (string Slug, string Detail)? known = problem.Status switch
        {
            StatusCodes.Status400BadRequest => ("bad-request", "The request could not be read; check its headers and body."),
            StatusCodes.Status408RequestTimeout => ("request-timeout", "The request was not received in time; send headers and body without long pauses."),
            StatusCodes.Status413PayloadTooLarge => ("body-too-large", "The request body is larger than this call accepts."),
            StatusCodes.Status431RequestHeaderFieldsTooLarge => ("headers-too-large", "Too many or too large request headers."),
            StatusCodes.Status502BadGateway => ("upstream-unavailable", "The service behind this call could not be reached; retry shortly."),
            StatusCodes.Status503ServiceUnavailable => ("unavailable", "The service behind this call is unavailable; retry shortly."),
            StatusCodes.Status504GatewayTimeout => ("upstream-timeout", "The service behind this call did not answer in time."),
            StatusCodes.Status404NotFound => ("not-found", "No API is served at this path; the API reference at /docs lists the public routes."),
            _ => null,
        };
        if (known is { } k)
        {
            problem.Type = Problems.TypeUri(k.Slug);
            problem.Detail = k.Detail;
        }
    }
}
