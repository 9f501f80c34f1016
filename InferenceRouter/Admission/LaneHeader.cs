using AgentCloud.InferenceRouter.Scheduling;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>A tenant marks its background work with <c>x-agentcloud-lane: batch</c>; anything else is interactive.</summary>
public static class LaneHeader
{
    public static Lane From(HttpRequest request) =>
        string.Equals(request.Headers[RateLimitHeaders.Lane].ToString(), "batch", StringComparison.OrdinalIgnoreCase) ? Lane.Batch : Lane.Interactive;
}
