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
/// replica then spends locally for at most <see cref="LeaseLifetime"/> after its last refill. A lease is refilled ahead
/// of need (when half of it is spent) by one call in the background, and callers that find it empty wait on that one
/// call rather than each asking Redis, so most requests make no round trip at all. Every admitted request still spent a
/// token taken from the shared bucket, so the limit holds across replicas exactly; the bound is on the strict side only:
/// a replica holds at most two leases' worth of tokens it has not spent, and tokens a lease does not spend in time are
/// lost. Small buckets (under 256) are drawn one token per call.
/// </para>
/// <para>
/// A lease starts at <see cref="LeaseSize"/> and follows the replica's demand: it doubles (up to
/// <see cref="MaxLeaseSize"/>, 1/128 of the capacity, at most 256) when callers spent it before its refill came, and
/// halves again when it expired unspent, so a busy replica waits on Redis rarely and an idle one holds little.
/// </para>
/// </remarks>
public sealed class RedisTokenBucket(IConnectionMultiplexer redis, TimeProvider time)
{
    public static readonly TimeSpan LeaseLifetime = TimeSpan.FromMilliseconds(250);

    /// <summary>How long one lease refill may wait on Redis before another may start.</summary>
    public static readonly TimeSpan RefillDeadline = TimeSpan.FromSeconds(1);

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

    /// <summary>How many tokens one script call takes for a bucket of this capacity: 1 below 256, at most 32.</summary>
    public static int LeaseSize(int capacity) => Math.Clamp(capacity / 128, 1, 32);

    /// <summary>The most one script call takes for a bucket of this capacity as demand grows: 1/128 of it, at most 256.</summary>
    public static int MaxLeaseSize(int capacity) => Math.Clamp(capacity / 128, 1, 256);

    /// <summary>
    /// Takes one request from the tenant's bucket (refilled at <paramref name="perMinute"/>, holding at most
    /// <paramref name="capacity"/>). Never throws for Redis trouble and never waits past <paramref name="deadline"/>:
    /// both give <see cref="RateLimitDecision.Undecided"/>.
    /// </summary>
    /// <remarks>A call this replica's lease can serve is decided here, without awaiting or allocating anything.</remarks>
    public ValueTask<RateLimitDecision> TryTakeAsync(string tenantId, int perMinute, int capacity, TimeSpan deadline, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perMinute);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        var wanted = LeaseSize(capacity);
        if (wanted == 1)
        {
            return new(TakeOneAsync(tenantId, perMinute, capacity, deadline, cancellationToken));
        }

        var lease = _leases.GetOrAdd(tenantId, static _ => new Lease());
        wanted = lease.Size(wanted, MaxLeaseSize(capacity));
        return TryTakeLeased(lease, tenantId, perMinute, capacity, wanted, out var decision)
            ? new(decision)
            : new(TakeAfterRefillAsync(lease, tenantId, perMinute, capacity, wanted, deadline, cancellationToken));
    }

    /// <summary>A small bucket: one script call per request.</summary>
    private async Task<RateLimitDecision> TakeOneAsync(string tenantId, int perMinute, int capacity, TimeSpan deadline, CancellationToken cancellationToken)
    {
        Draw single;
        try
        {
            single = await DrawAsync(tenantId, perMinute, capacity, 1).WaitAsync(deadline, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return RateLimitDecision.Undecided;
        }
        return single.Taken == 0 ? Refused(single) : new RateLimitDecision(RateLimitOutcome.Allowed, single.Remaining, TimeSpan.Zero);
    }

    /// <summary>The lease is empty: wait for the one refill (running, or started now) rather than each asking Redis.</summary>
    private async Task<RateLimitDecision> TakeAfterRefillAsync(
        Lease lease, string tenantId, int perMinute, int capacity, int wanted, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            var refilled = await StartRefill(lease, tenantId, perMinute, capacity, wanted).WaitAsync(deadline, time, cancellationToken).ConfigureAwait(false);
            if (refilled.Taken == 0 && !refilled.Undecided)
            {
                return Refused(refilled);
            }
            if (TryTakeLeased(lease, tenantId, perMinute, capacity, wanted, out var decision))
            {
                return decision;
            }
            // Others waiting on the same refill spent it first (a burst on a small lease), or it failed: one draw of this
            // caller's own within what is left of its deadline.
            var left = deadline - time.GetElapsedTime(started);
            var own = await DrawAsync(tenantId, perMinute, capacity, wanted)
                .WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time, cancellationToken).ConfigureAwait(false);
            if (own.Taken == 0)
            {
                return Refused(own);
            }
            if (own.Taken > 1)
            {
                lease.Add((int)own.Taken - 1, own.Remaining, time.GetUtcNow());
            }
            return new RateLimitDecision(RateLimitOutcome.Allowed, own.Remaining + own.Taken - 1, TimeSpan.Zero);
        }
        catch (TimeoutException)
        {
            return RateLimitDecision.Undecided;
        }
    }

    /// <summary>Spends a token of this replica's lease, refilling it in the background once half of it is gone.</summary>
    private bool TryTakeLeased(Lease lease, string tenantId, int perMinute, int capacity, int wanted, out RateLimitDecision decision)
    {
        if (!lease.TryTake(time.GetUtcNow(), wanted, out var left, out var low))
        {
            decision = default;
            return false;
        }
        if (low)
        {
            _ = StartRefill(lease, tenantId, perMinute, capacity, wanted);
        }
        decision = new RateLimitDecision(RateLimitOutcome.Allowed, left, TimeSpan.Zero);
        return true;
    }

    // Its own method so that the closure is made only when a refill is asked for, not on every call that takes a token.
    private Task<Draw> StartRefill(Lease lease, string tenantId, int perMinute, int capacity, int wanted) =>
        lease.Refill(() => DrawIntoAsync(lease, tenantId, perMinute, capacity, wanted));

    private static RateLimitDecision Refused(Draw drawn) => drawn.Undecided
        ? RateLimitDecision.Undecided
        : new RateLimitDecision(RateLimitOutcome.Limited, 0, drawn.RetryAfter);

    /// <summary>What one script call took: tokens taken (0 when limited), tokens left in the shared bucket, when one frees up.</summary>
    private readonly record struct Draw(long Taken, long Remaining, TimeSpan RetryAfter, bool Undecided = false);

    /// <summary>
    /// A refill: its waiters keep their own deadlines, so it may take longer (up to <see cref="RefillDeadline"/>) and its
    /// tokens still go into the lease; a refill that does not answer even then is undecided, and its late tokens are lost.
    /// </summary>
    private async Task<Draw> DrawIntoAsync(Lease lease, string tenantId, int perMinute, int capacity, int wanted)
    {
        Draw drawn;
        try
        {
            drawn = await DrawAsync(tenantId, perMinute, capacity, wanted).WaitAsync(RefillDeadline, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new Draw(0, 0, TimeSpan.Zero, Undecided: true);
        }
        if (drawn.Taken > 0)
        {
            lease.Add((int)drawn.Taken, drawn.Remaining, time.GetUtcNow());
        }
        return drawn;
    }

    /// <summary>One script call; Redis trouble is an undecided draw, never an exception.</summary>
    private async Task<Draw> DrawAsync(string tenantId, int perMinute, int capacity, int wanted)
    {
        var perMicrosecond = perMinute / 60_000_000d;
        try
        {
            var result = await redis.GetDatabase()
                .ScriptEvaluateAsync(Script, [KeyFor(tenantId)], [perMicrosecond.ToString("R", CultureInfo.InvariantCulture), capacity, wanted])
                .ConfigureAwait(false);
            var values = (RedisResult[])result!;
            return new Draw((long)values[0], (long)values[1], TimeSpan.FromMilliseconds((long)values[2]));
        }
        catch (RedisException)
        {
            return new Draw(0, 0, TimeSpan.Zero, Undecided: true);
        }
    }

    /// <summary>Tokens this replica took from the shared bucket and may spend until they expire, and the one refill in flight.</summary>
    private sealed class Lease
    {
        private readonly Lock _gate = new();
        private int _tokens;
        private long _sharedRemaining;
        private DateTimeOffset _expires;
        private Task<Draw>? _refilling;
        private int _size;
        private bool _ranDry;

        /// <summary>How many tokens the next refill takes: the size demand has set, within the bucket's bounds now.</summary>
        public int Size(int smallest, int largest)
        {
            lock (_gate)
            {
                _size = Math.Clamp(_size == 0 ? smallest : _size, smallest, largest);
                return _size;
            }
        }

        /// <summary>Spends one token; <paramref name="low"/> when half the lease is gone and no refill is running.</summary>
        public bool TryTake(DateTimeOffset now, int leaseSize, out long remaining, out bool low)
        {
            lock (_gate)
            {
                remaining = 0;
                low = false;
                if (now >= _expires || _tokens <= 0)
                {
                    // Spent before its time was up: callers outran the refills, so the next lease is larger.
                    _ranDry |= now < _expires;
                    return false;
                }
                _tokens--;
                remaining = _sharedRemaining + _tokens;
                low = _tokens <= leaseSize / 2 && _refilling is null;
                return true;
            }
        }

        /// <summary>The refill in flight, or a new one started with <paramref name="draw"/>: one script call at a time per tenant.</summary>
        public Task<Draw> Refill(Func<Task<Draw>> draw)
        {
            lock (_gate)
            {
                if (_refilling is { } running)
                {
                    return running;
                }
                var started = Task.Run(draw);
                _refilling = started;
                _ = started.ContinueWith(static (t, state) => ((Lease)state!).Finished(t), this, CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return started;
            }
        }

        private void Finished(Task<Draw> refill)
        {
            _ = refill.Exception; // a timed-out draw is observed here; its waiters were told undecided
            lock (_gate)
            {
                if (ReferenceEquals(_refilling, refill))
                {
                    _refilling = null;
                }
            }
        }

        public void Add(int tokens, long sharedRemaining, DateTimeOffset now)
        {
            lock (_gate)
            {
                // Tokens left from an expired lease are dropped, never carried over: the error stays on the strict side.
                var expiredUnspent = now >= _expires && _tokens > 0;
                _size = _ranDry ? _size * 2 : expiredUnspent ? _size / 2 : _size;
                _ranDry = false;
                _tokens = now < _expires ? _tokens + tokens : tokens;
                _sharedRemaining = sharedRemaining;
                _expires = now + LeaseLifetime;
            }
        }
    }
}
