using System.Globalization;
using AgentCloud.Gateway.Extensions;
using AgentCloud.Gateway.Telemetry;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.Options;

namespace AgentCloud.Gateway.RateLimiting;

/// <summary>
/// Applies the tenant's requests-per-minute limit (from its policy) before a call is proxied: 429 with
/// <c>Retry-After</c> when the bucket is empty, the <c>x-ratelimit-*</c> headers on every tenant answer, and the
/// tier's fail mode when Redis cannot decide in time. Operator calls are not limited.
/// </summary>
public sealed class TenantRateLimitMiddleware(
    RequestDelegate next, RedisTokenBucket buckets, GatewayMetrics metrics, IOptions<GatewayOptions> options, ILogger<TenantRateLimitMiddleware> logger)
{
    public const string LimitHeader = "x-ratelimit-limit-requests";
    public const string RemainingHeader = "x-ratelimit-remaining-requests";

    public async Task InvokeAsync(HttpContext http)
    {
        var key = http.Features.Get<ResolvedKey>();
        if (key is null || key.Policy.RequestsPerMinute <= 0)
        {
            await next(http);
            return;
        }

        var policy = key.Policy;
        var capacity = policy.RequestBurst > 0 ? policy.RequestBurst : policy.RequestsPerMinute;
        var decision = await buckets.TryTakeAsync(key.TenantId, policy.RequestsPerMinute, capacity, options.Value.RateLimitDeadline, http.RequestAborted);
        http.Response.Headers[LimitHeader] = policy.RequestsPerMinute.ToString(CultureInfo.InvariantCulture);

        switch (decision.Outcome)
        {
            case RateLimitOutcome.Allowed:
                http.Response.Headers[RemainingHeader] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
                await next(http);
                return;

            case RateLimitOutcome.Limited:
                metrics.Rejected(key.Tier);
                var seconds = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
                http.Response.Headers[RemainingHeader] = "0";
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.Create(StatusCodes.Status429TooManyRequests, "rate-limited", "Request rate limit reached",
                        $"The requests-per-minute limit of your tier '{key.Tier}' ({policy.RequestsPerMinute}/min, bursts up to {capacity}) is used up; retry after {seconds} s.")
                    .ExecuteAsync(http);
                return;

            default:
                if (policy.RateLimitFailMode == RateLimitFailMode.Open)
                {
                    metrics.FailedOpen(key.Tier);
                    await next(http);
                    return;
                }
                metrics.FailedClosed(key.Tier);
                logger.LogDebug("Rate limit for tenant {TenantId} undecided in time; tier {Tier} fails closed", key.TenantId, key.Tier);
                http.Response.Headers.RetryAfter = "1";
                await Problems.Create(StatusCodes.Status503ServiceUnavailable, "rate-limit-unavailable", "Rate limiting unavailable",
                        "Your tier's rate limit could not be checked just now, and your tier does not pass unchecked calls; retry in a second.")
                    .ExecuteAsync(http);
                return;
        }
    }
}
