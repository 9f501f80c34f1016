using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>Why an admission step turned a request away; becomes a problem+json answer.</summary>
public sealed record Refusal(int Status, string Slug, string Title, string Detail)
{
    /// <summary>When to try again (429/503): sent as <c>Retry-After</c>.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>For a token-budget refusal: what the budget has left, sent as <c>x-ratelimit-remaining-tokens</c>.</summary>
    public long? RemainingTokens { get; init; }

    public ProblemHttpResult ToProblem() => Problems.Create(Status, Slug, Title, Detail);

    /// <summary>Adds the refusal's headers to the answer before its problem+json body is written.</summary>
    public ProblemHttpResult ToProblem(HttpResponse response)
    {
        if (RetryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (RemainingTokens is { } remaining)
        {
            response.Headers[RateLimitHeaders.RemainingTokens] = remaining.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return ToProblem();
    }
}

public static class RateLimitHeaders
{
    public const string RemainingTokens = "x-ratelimit-remaining-tokens";
    public const string Lane = Lanes.Header;
}
