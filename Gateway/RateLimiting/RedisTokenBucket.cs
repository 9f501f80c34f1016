using StackExchange.Redis;

namespace AgentCloud.Gateway.RateLimiting;

/// <summary>
/// A token bucket per tenant kept in Redis, so every Gateway replica draws from the same bucket. Each decision is
/// one Lua script (refill by elapsed time on Redis's own clock, then take a token), so concurrent replicas can never
/// both spend the last token, and replica clocks do not matter.
/// </summary>
/// <remarks>
/// RedisRateLimiting 1.2.1 was considered: its partitioned limiters take per-partition options, but a limiter keeps the
/// options it was created with (a changed tier would not apply until it is evicted), it has no per-decision deadline
/// (the Redis call takes no cancellation) and no fail-open/closed choice (a Redis failure surfaces as an exception from
/// inside ASP.NET's rate-limiting middleware), and it does not report the remaining count we must send in headers.
/// The whole algorithm is the short script below, so it is written here.
/// </remarks>
public sealed class RedisTokenBucket(IConnectionMultiplexer redis, TimeProvider time)
{
    // KEYS[1] bucket; ARGV[1] tokens per microsecond, ARGV[2] capacity. Returns {allowed, remaining, retry-after ms}.
    private const string Script = """
        local rate = tonumber(ARGV[1])
        local capacity = tonumber(ARGV[2])
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1])
        local at = tonumber(state[2])
        if tokens == nil or at == nil then
          tokens = capacity
          at = now
        end
        local elapsed = now - at
        if elapsed < 0 then elapsed = 0 end
        tokens = math.min(capacity, tokens + elapsed * rate)
        local allowed = 0
        local retry = 0
        if tokens >= 1 then
          tokens = tokens - 1
          allowed = 1
        else
          retry = math.ceil((1 - tokens) / rate / 1000)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate / 1000) + 1000)
        return {allowed, math.floor(tokens), retry}
        """;

    public static RedisKey KeyFor(string tenantId) => $"tenant:{tenantId}:ratelimit:requests";

    /// <summary>
    /// Takes one request from the tenant's bucket (refilled at <paramref name="perMinute"/>, holding at most
    /// <paramref name="capacity"/>). Never throws for Redis trouble and never waits past <paramref name="deadline"/>:
    /// both give <see cref="RateLimitDecision.Undecided"/>.
    /// </summary>
    public async Task<RateLimitDecision> TryTakeAsync(string tenantId, int perMinute, int capacity, TimeSpan deadline, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perMinute);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        var perMicrosecond = perMinute / 60_000_000d;
        try
        {
            var result = await redis.GetDatabase()
                .ScriptEvaluateAsync(Script, [KeyFor(tenantId)], [perMicrosecond.ToString("R", System.Globalization.CultureInfo.InvariantCulture), capacity])
                .WaitAsync(deadline, time, cancellationToken);
            var values = (RedisResult[])result!;
            var allowed = (long)values[0] == 1;
            return new RateLimitDecision(allowed ? RateLimitOutcome.Allowed : RateLimitOutcome.Limited, (long)values[1], TimeSpan.FromMilliseconds((long)values[2]));
        }
        catch (Exception e) when (e is TimeoutException or RedisException)
        {
            return RateLimitDecision.Undecided;
        }
    }
}
