using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Quota;

/// <summary>A worst-case hold on every budget of a call; settle it with the real usage when the call ends.</summary>
public sealed record TokenReservation(string Id, IReadOnlyList<QuotaScope> Scopes, long Amount, DateTimeOffset ExpiresAt)
{
    /// <summary>Held in this router's <see cref="ProvisionalLedger"/> while Redis was away, not in Redis.</summary>
    public bool Provisional { get; init; }
}

/// <summary>The outcome of a reservation: admitted, or refused naming the budget and when it frees up.</summary>
public sealed record ReserveResult(TokenReservation? Reservation, QuotaScope? RefusedBy, long Remaining, TimeSpan RetryAfter)
{
    public bool Admitted => Reservation is not null;
}

/// <summary>
/// The tenant's shared token ledger in Redis. Every sub-agent of a tenant reserves from the same budgets with one
/// atomic script, so together they can never pass a budget: a call is admitted only if its worst case fits beside
/// everything already used and reserved. Reservations expire, so a router that crashes mid-call frees them.
/// </summary>
public sealed class TokenLedger(IConnectionMultiplexer redis, TimeProvider time)
{
    public static readonly TimeSpan DefaultReservationTtl = TimeSpan.FromMinutes(2);

    // Per scope: KEYS[2i-1] a sorted set of reservation ids scored by expiry, KEYS[2i] a hash with `used`,
    // `reserved` and one `r:<id>` field per live reservation. ARGV: now, id, amount, expiry, then per scope limit, key ttl.
    private const string ReserveScript = """
        local now = tonumber(ARGV[1]); local id = ARGV[2]; local amount = tonumber(ARGV[3]); local expiry = tonumber(ARGV[4])
        local n = #KEYS / 2
        for i = 1, n do
          local z = KEYS[2*i-1]; local h = KEYS[2*i]
          local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
          for _, rid in ipairs(expired) do
            local amt = tonumber(redis.call('HGET', h, 'r:' .. rid) or '0')
            redis.call('HDEL', h, 'r:' .. rid)
            redis.call('HINCRBY', h, 'reserved', -amt)
          end
          if #expired > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', now) end
        end
        local left = -1
        for i = 1, n do
          local h = KEYS[2*i]; local limit = tonumber(ARGV[3 + 2*i])
          local taken = tonumber(redis.call('HGET', h, 'used') or '0') + tonumber(redis.call('HGET', h, 'reserved') or '0')
          if taken + amount > limit then return {0, i, limit - taken} end
          if i == 1 then left = limit - taken - amount end
        end
        for i = 1, n do
          local z = KEYS[2*i-1]; local h = KEYS[2*i]; local ttl = tonumber(ARGV[4 + 2*i])
          redis.call('ZADD', z, expiry, id)
          redis.call('HSET', h, 'r:' .. id, amount)
          redis.call('HINCRBY', h, 'reserved', amount)
          redis.call('PEXPIRE', z, ttl); redis.call('PEXPIRE', h, ttl)
        end
        return {1, 0, left}
        """;

    // Releases the hold (if it has not expired already) and books what was really used, once per reservation id:
    // a settle that timed out on the client may still run when a paused Redis resumes, and its retry must not book
    // again. KEYS per scope: the reservations set, the budget hash, the set of settled ids (scored by when to forget them).
    private const string SettleScript = """
        local id = ARGV[1]; local actual = tonumber(ARGV[2]); local now = tonumber(ARGV[3]); local n = #KEYS / 3
        for i = 1, n do
          local z = KEYS[3*i-2]; local h = KEYS[3*i-1]; local done = KEYS[3*i]; local ttl = tonumber(ARGV[3 + i])
          redis.call('ZREMRANGEBYSCORE', done, '-inf', now)
          if redis.call('ZADD', done, 'NX', now + ttl, id) == 1 then
            local amt = redis.call('HGET', h, 'r:' .. id)
            if amt then
              redis.call('HDEL', h, 'r:' .. id)
              redis.call('HINCRBY', h, 'reserved', -tonumber(amt))
              redis.call('ZREM', z, id)
            end
            redis.call('HINCRBY', h, 'used', actual)
          end
          redis.call('PEXPIRE', h, ttl); redis.call('PEXPIRE', done, ttl)
        end
        return 1
        """;

    // Moves a live hold's expiry on (a long stream keeps its hold); a hold already released or expired stays gone.
    private const string RenewScript = """
        local id = ARGV[1]; local expiry = tonumber(ARGV[2]); local n = #KEYS / 2; local renewed = 0
        for i = 1, n do
          local z = KEYS[2*i-1]; local h = KEYS[2*i]
          if redis.call('HEXISTS', h, 'r:' .. id) == 1 then
            redis.call('ZADD', z, 'XX', expiry, id)
            renewed = renewed + 1
          end
        end
        return renewed
        """;

    public async Task<ReserveResult> ReserveAsync(IReadOnlyList<QuotaScope> scopes, long amount, TimeSpan? ttl = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        var now = time.GetUtcNow();
        var reservation = new TokenReservation(Guid.NewGuid().ToString("N"), scopes, amount, now + (ttl ?? DefaultReservationTtl));
        if (scopes.Count == 0)
        {
            return new ReserveResult(reservation, null, long.MaxValue, TimeSpan.Zero);
        }
        var args = new List<RedisValue> { now.ToUnixTimeMilliseconds(), reservation.Id, amount, reservation.ExpiresAt.ToUnixTimeMilliseconds() };
        foreach (var scope in scopes)
        {
            args.Add(scope.Limit);
            args.Add(KeyTtlMs(scope, now));
        }
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(ReserveScript, Keys(scopes), [.. args]))!;
        if ((long)result[0] == 1)
        {
            // What the first budget (the tightest window, tokens per minute when set) has left after this hold.
            return new ReserveResult(reservation, null, (long)result[2], TimeSpan.Zero);
        }
        var refused = scopes[(int)(long)result[1] - 1];
        var retryAfter = refused.WindowEnd - now;
        return new ReserveResult(null, refused, Math.Max(0, (long)result[2]), retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter);
    }

    /// <summary>Books the call's real weighted tokens and releases the rest of its hold.</summary>
    public async Task SettleAsync(TokenReservation reservation, long actual)
    {
        if (reservation.Scopes.Count == 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        var args = new List<RedisValue> { reservation.Id, Math.Max(0, actual), now.ToUnixTimeMilliseconds() };
        args.AddRange(reservation.Scopes.Select(s => (RedisValue)KeyTtlMs(s, now)));
        var keys = reservation.Scopes.SelectMany(s => new RedisKey[] { s.Key + ":res", s.Key, s.Key + ":settled" }).ToArray();
        await redis.GetDatabase().ScriptEvaluateAsync(SettleScript, keys, [.. args]);
    }

    /// <summary>Extends a live hold to <paramref name="expiresAt"/>; false when Redis no longer holds it.</summary>
    public async Task<bool> RenewAsync(TokenReservation reservation, DateTimeOffset expiresAt)
    {
        if (reservation.Scopes.Count == 0 || reservation.Provisional)
        {
            return true;
        }
        var renewed = await redis.GetDatabase().ScriptEvaluateAsync(RenewScript, Keys(reservation.Scopes),
            [reservation.Id, expiresAt.ToUnixTimeMilliseconds()]);
        return (long)renewed > 0;
    }

    /// <summary>What a budget has used and holds now (for headers and tests).</summary>
    public async Task<(long Used, long Reserved)> ReadAsync(QuotaScope scope)
    {
        var values = await redis.GetDatabase().HashGetAsync(scope.Key, ["used", "reserved"]);
        return ((long?)values[0] ?? 0, (long?)values[1] ?? 0);
    }

    private static RedisKey[] Keys(IReadOnlyList<QuotaScope> scopes) =>
        scopes.SelectMany(s => new RedisKey[] { s.Key + ":res", s.Key }).ToArray();

    // Keys outlive their window a little so late settles still land, then vanish by themselves.
    private static long KeyTtlMs(QuotaScope scope, DateTimeOffset now) =>
        (long)Math.Max(60_000, (scope.WindowEnd - now + TimeSpan.FromMinutes(5)).TotalMilliseconds);
}
