using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;

namespace AgentCloud.Gateway.RateLimiting;

/// <summary>
/// A token bucket per tenant kept in Redis, so every Gateway replica draws from the same bucket. Each decision is
/// one Lua script (refill by elapsed time on Redis's own clock, then take tokens), so concurrent replicas can never
/// both spend the last token, and replica clocks do not matter.
/// </summary>
/// <remarks>
/// <para>
/// RedisRateLimiting 1.2.1 was considered and does not fit: its acquire ignores the cancellation token (no per-decision
/// deadline), a Redis failure surfaces as an exception (no fail-open/closed per tier), it refills in whole periods on
/// each replica's own clock in whole seconds, gives no retry-after, and a partitioned limiter keeps the options it was
/// created with, so a tier change would not apply until it is evicted. The whole algorithm is the script below.
/// </para>
/// <para>
/// Large buckets are drawn in small leases: one script call takes up to <see cref="LeaseSize"/> tokens, which this
/// replica then spends locally for at most <see cref="LeaseLifetime"/>. Every admitted request still spent a token taken
/// from the shared bucket, so the limit holds across replicas exactly; tokens a lease does not spend in time are simply
/// lost (the error is on the strict side). Small buckets (under 128) are drawn one token per call.
/// </para>
/// </remarks>
public sealed class RedisTokenBucket(IConnectionMultiplexer redis, TimeProvider time)
{
    public static readonly TimeSpan LeaseLifetime = TimeSpan.FromMilliseconds(250);

    // KEYS[1] bucket; ARGV[1] tokens per microsecond, ARGV[2] capacity, ARGV[3] tokens wanted.
    // Returns {tokens taken, tokens left, retry-after ms}; takes what is there (at least one) or nothing.
    private const string Script = """
        local rate = tonumber(ARGV[1])
        local capacity = tonumber(ARGV[2])
        local wanted = tonumber(ARGV[3])
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
        local taken = 0
        local retry = 0
        if tokens >= 1 then
          taken = math.min(wanted, math.floor(tokens))
          tokens = tokens - taken
        else
          retry = math.ceil((1 - tokens) / rate / 1000)
        end
        redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.0f', now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate / 1000) + 1000)
        return {taken, math.floor(tokens), retry}
        """;

    private readonly ConcurrentDictionary<string, Lease> _leases = new(StringComparer.Ordinal);

    public static RedisKey KeyFor(string tenantId) => $"tenant:{tenantId}:ratelimit:requests";

    /// <summary>How many tokens one script call takes for a bucket of this capacity: 1 below 128, at most 32.</summary>
    public static int LeaseSize(int capacity) => Math.Clamp(capacity / 128, 1, 32);

    /// <summary>
    /// Takes one request from the tenant's bucket (refilled at <paramref name="perMinute"/>, holding at most
    /// <paramref name="capacity"/>). Never throws for Redis trouble and never waits past <paramref name="deadline"/>:
    /// both give <see cref="RateLimitDecision.Undecided"/>.
    /// </summary>
    public async Task<RateLimitDecision> TryTakeAsync(string tenantId, int perMinute, int capacity, TimeSpan deadline, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perMinute);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        var wanted = LeaseSize(capacity);
        if (wanted > 1 && _leases.TryGetValue(tenantId, out var lease) && lease.TryTake(time.GetUtcNow(), out var left))
        {
            return new RateLimitDecision(RateLimitOutcome.Allowed, left, TimeSpan.Zero);
        }

        var perMicrosecond = perMinute / 60_000_000d;
        try
        {
            var result = await redis.GetDatabase()
                .ScriptEvaluateAsync(Script, [KeyFor(tenantId)], [perMicrosecond.ToString("R", CultureInfo.InvariantCulture), capacity, wanted])
                .WaitAsync(deadline, time, cancellationToken);
            var values = (RedisResult[])result!;
            var taken = (long)values[0];
            var remaining = (long)values[1];
            if (taken == 0)
            {
                return new RateLimitDecision(RateLimitOutcome.Limited, 0, TimeSpan.FromMilliseconds((long)values[2]));
            }
            if (taken > 1)
            {
                _leases.GetOrAdd(tenantId, _ => new Lease()).Add((int)taken - 1, remaining, time.GetUtcNow());
            }
            return new RateLimitDecision(RateLimitOutcome.Allowed, remaining + taken - 1, TimeSpan.Zero);
        }
        catch (Exception e) when (e is TimeoutException or RedisException)
        {
            return RateLimitDecision.Undecided;
        }
    }

    /// <summary>Tokens this replica took from the shared bucket and may spend until they expire.</summary>
    private sealed class Lease
    {
        private int _tokens;
        private long _sharedRemaining;
        private DateTimeOffset _expires;

        public bool TryTake(DateTimeOffset now, out long remaining)
        {
            lock (this)
            {
                remaining = 0;
                if (now >= _expires || _tokens <= 0)
                {
                    return false;
                }
                _tokens--;
                remaining = _sharedRemaining + _tokens;
                return true;
            }
        }

        public void Add(int tokens, long sharedRemaining, DateTimeOffset now)
        {
            lock (this)
            {
                // Tokens left from an expired lease are dropped, never carried over: the error stays on the strict side.
                _tokens = now < _expires ? _tokens + tokens : tokens;
                _sharedRemaining = sharedRemaining;
                _expires = now + LeaseLifetime;
            }
        }
    }
}
