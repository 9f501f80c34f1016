using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AgentCloud.Platform;

/// <summary>
/// A request a service refuses, carrying what its problem+json answer says: status, problem type (<see cref="Problems"/>),
/// title, an actionable detail and, for a refusal that passes (a store away, a limit), when to retry. Thrown anywhere on
/// the request path and answered once, the same way, by every service (ServiceDefaults' refusal handler).
/// </summary>
public class Refusal(int status, string slug, string title, string detail, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(detail, inner)
{
    public int Status { get; } = status;
    public string Slug { get; } = slug;
    public string Title { get; } = title;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public ProblemDetails ToProblemDetails() => new() { Status = Status, Type = Problems.TypeUri(Slug), Title = Title, Detail = Message };

    /// <summary>The answer as an endpoint result, for handlers that return rather than throw.</summary>
    public ProblemHttpResult ToResult() => Problems.Create(Status, Slug, Title, Message);

    /// <summary>The <c>Retry-After</c> value in whole seconds (at least 1), or null.</summary>
    public string? RetryAfterHeader => RetryAfter is { } wait
        ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture)
        : null;

    public static Refusal BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "bad-request", "Bad request", detail);

    public static Refusal NotFound(string detail) => new(StatusCodes.Status404NotFound, "not-found", "Not found", detail);
}
