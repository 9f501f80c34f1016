namespace AgentCloud.Gateway.RateLimiting;

/// <summary>The outcome of taking one request from a tenant's bucket.</summary>
public enum RateLimitOutcome
{
    Allowed,
    Limited,

    /// <summary>Redis did not answer within the deadline (or failed): the tier's fail mode decides.</summary>
    Undecided,
}

public readonly record struct RateLimitDecision(RateLimitOutcome Outcome, long Remaining, TimeSpan RetryAfter)
{
    public static RateLimitDecision Undecided { get; } = new(RateLimitOutcome.Undecided, 0, TimeSpan.Zero);
}
