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
/// tier's fail mode when Redis cannot decide in time. Operator calls are not limited. A key with its own
/// <c>requestsPerMinute</c> is held to that as well, in a bucket of its own (429 <c>key-rate-limited</c>), checked first
/// so a key at its limit spends none of its tenant's.
/// </summary>
public sealed class TenantRateLimitMiddleware(
    RequestDelegate next, RedisTokenBucket buckets, GatewayMetrics metrics, IOptions<GatewayOptions> options, ILogger<TenantRateLimitMiddleware> logger)
{
    public const string LimitHeader = "x-ratelimit-limit-requests";
    public const string RemainingHeader = "x-ratelimit-remaining-requests";

    public Task InvokeAsync(HttpContext http)
    {
        var key = http.Features.Get<ResolvedKey>();
        if (key is null || (key.KeyRequestsPerMinute <= 0 && key.Policy.RequestsPerMinute <= 0))
        {
            return next(http);
        }
        if (key.KeyRequestsPerMinute > 0)
        {
            return LimitByKeyThenTenantAsync(http, key);
        }
        // Most calls are decided by this replica's lease at once: then nothing here awaits (no state machine per call).
        var pending = TakeTenantTokenAsync(http, key);
        return pending.IsCompletedSuccessfully ? ApplyTenantDecision(http, key, pending.Result) : ApplyTenantDecisionAsync(http, key, pending);
    }

    private async Task LimitByKeyThenTenantAsync(HttpContext http, ResolvedKey key)
    {
        if (!await AdmitByKeyAsync(http, key))
        {
            return;
        }
        if (key.Policy.RequestsPerMinute <= 0)
        {
            await next(http);
            return;
        }
        await ApplyTenantDecision(http, key, await TakeTenantTokenAsync(http, key));
    }

    private ValueTask<RateLimitDecision> TakeTenantTokenAsync(HttpContext http, ResolvedKey key) =>
        buckets.TryTakeAsync(key.TenantId, key.Policy.RequestsPerMinute, Capacity(key.Policy), options.Value.RateLimitDeadline, http.RequestAborted);

    private static int Capacity(TenantPolicy policy) => policy.RequestBurst > 0 ? policy.RequestBurst : policy.RequestsPerMinute;

    private async Task ApplyTenantDecisionAsync(HttpContext http, ResolvedKey key, ValueTask<RateLimitDecision> pending) =>
        await ApplyTenantDecision(http, key, await pending);

    /// <summary>The tenant bucket's answer: the call goes on, or is answered here (429, or the tier's fail mode).</summary>
    private Task ApplyTenantDecision(HttpContext http, ResolvedKey key, RateLimitDecision decision)
    {
        var policy = key.Policy;
        http.Response.Headers[LimitHeader] = policy.RequestsPerMinute.ToString(CultureInfo.InvariantCulture);
        switch (decision.Outcome)
        {
            case RateLimitOutcome.Allowed:
                http.Response.Headers[RemainingHeader] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
                return next(http);

            case RateLimitOutcome.Limited:
                metrics.Rejected(key.Tier);
                var seconds = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
                http.Response.Headers[RemainingHeader] = "0";
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return Problems.Create(StatusCodes.Status429TooManyRequests, "rate-limited", "Request rate limit reached",
                        $"The requests-per-minute limit of your tier '{key.Tier}' ({policy.RequestsPerMinute}/min, bursts up to {Capacity(policy)}) is used up; retry after {seconds} s.")
                    .ExecuteAsync(http);

            default:
                return FailAsync(http, key, mayPass: true);
        }
    }

    /// <summary>The key's own bucket; false when the call was answered here (limited, or undecided under a closed fail mode).</summary>
    private async Task<bool> AdmitByKeyAsync(HttpContext http, ResolvedKey key)
    {
        var perMinute = key.KeyRequestsPerMinute;
        var decision = await buckets.TryTakeAsync($"{key.TenantId}:key:{key.KeyId}", perMinute, perMinute, options.Value.RateLimitDeadline, http.RequestAborted);
        if (decision.Outcome == RateLimitOutcome.Allowed || (decision.Outcome != RateLimitOutcome.Limited && key.Policy.RateLimitFailMode == RateLimitFailMode.Open))
        {
            return true;
        }
        if (decision.Outcome == RateLimitOutcome.Limited)
        {
            metrics.Rejected(key.Tier);
            var seconds = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await Problems.Create(StatusCodes.Status429TooManyRequests, "key-rate-limited", "Key request rate limit reached",
                    $"This key's own limit of {perMinute} requests per minute is used up; retry after {seconds} s.")
                .ExecuteAsync(http);
            return false;
        }
        await FailAsync(http, key, mayPass: false);
        return false;
    }

    /// <summary>Redis could not decide in time: the tier's fail mode says whether the call passes unchecked.</summary>
    private async Task FailAsync(HttpContext http, ResolvedKey key, bool mayPass)
    {
        if (mayPass && key.Policy.RateLimitFailMode == RateLimitFailMode.Open)
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
    }
}
