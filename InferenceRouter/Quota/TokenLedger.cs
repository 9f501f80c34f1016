using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Quota;

/// <summary>
/// A worst-case hold on every budget of a call, <see cref="Amounts"/>[i] in the unit of <see cref="Scopes"/>[i]; settle it
/// with the real spend when the call ends.
/// </summary>
public sealed record TokenReservation(string Id, IReadOnlyList<QuotaScope> Scopes, IReadOnlyList<long> Amounts, DateTimeOffset ExpiresAt)
{
    /// <summary>Held in this router's <see cref="ProvisionalLedger"/> while Redis was away, not in Redis.</summary>
    public bool Provisional { get; init; }

    /// <summary>The tenant whose call it is (alerts name it).</summary>
    public string TenantId { get; init; } = "";

    /// <summary>The call's worst case; its weighted tokens weigh the call in the fair scheduler.</summary>
    public CallSpend WorstCase { get; init; }

    public long Amount => WorstCase.WeightedTokens;
}

/// <summary>The outcome of a reservation: admitted, or refused naming the budget, what it has left (in its unit) and when it frees up.</summary>
public sealed record ReserveResult(TokenReservation? Reservation, QuotaScope? RefusedBy, long Remaining, TimeSpan RetryAfter)
{
    public bool Admitted => Reservation is not null;
}

/// <summary>A settle took a budget across one of its alert thresholds: the budget, the threshold and what it had used after.</summary>
public sealed record ThresholdCrossing(QuotaScope Scope, int ThresholdPercent, long UsedAfter);

/// <summary>
/// The tenant's shared token ledger in Redis. Every sub-agent of a tenant reserves from the same budgets with one
/// atomic script, so together they can never pass a budget: a call is admitted only if its worst case fits beside
/// everything already used and reserved. Reservations expire, so a router that crashes mid-call frees them.
/// </summary>
public sealed class TokenLedger(IConnectionMultiplexer redis, TimeProvider time)
{
    public static readonly TimeSpan DefaultReservationTtl = TimeSpan.FromMinutes(2);

    // Per scope: KEYS[2i-1] a sorted set of reservation ids scored by expiry, KEYS[2i] a hash with `used`,
    // `reserved` and one `r:<id>` field per live reservation. ARGV: now, id, expiry, the scope whose remainder to answer
    // (0: none), then per scope its limit, key ttl and amount (each in the scope's unit: weighted tokens or micro-dollars).
    private const string ReserveScript = """
        local now = tonumber(ARGV[1]); local id = ARGV[2]; local expiry = tonumber(ARGV[3]); local headline = tonumber(ARGV[4])
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
          local h = KEYS[2*i]; local limit = tonumber(ARGV[2 + 3*i]); local amount = tonumber(ARGV[4 + 3*i])
          local taken = tonumber(redis.call('HGET', h, 'used') or '0') + tonumber(redis.call('HGET', h, 'reserved') or '0')
          if taken + amount > limit then return {0, i, limit - taken} end
          if i == headline then left = limit - taken - amount end
        end
        for i = 1, n do
          local z = KEYS[2*i-1]; local h = KEYS[2*i]; local ttl = tonumber(ARGV[3 + 3*i]); local amount = tonumber(ARGV[4 + 3*i])
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
    // ARGV: id, now, then per scope its key ttl, the amount used, its limit and its alert thresholds ("80,100" or "").
    // A threshold t is crossed when used before < t% of the limit <= used after; HSETNX of `alerted:<t>` (to the id) on
    // the budget's hash, which expires with its period, marks it, so each crossing is answered once per period however
    // many settles race, and again only to a retry of the settle that made it (its first answer may have been lost).
    private const string SettleScript = """
        local id = ARGV[1]; local now = tonumber(ARGV[2]); local n = #KEYS / 3; local crossed = {}
        for i = 1, n do
          local z = KEYS[3*i-2]; local h = KEYS[3*i-1]; local done = KEYS[3*i]
          local ttl = tonumber(ARGV[4*i - 1]); local actual = tonumber(ARGV[4*i]); local limit = tonumber(ARGV[4*i + 1]); local thresholds = ARGV[4*i + 2]
          redis.call('ZREMRANGEBYSCORE', done, '-inf', now)
          if redis.call('ZADD', done, 'NX', now + ttl, id) == 1 then
            local amt = redis.call('HGET', h, 'r:' .. id)
            if amt then
              redis.call('HDEL', h, 'r:' .. id)
              redis.call('HINCRBY', h, 'reserved', -tonumber(amt))
              redis.call('ZREM', z, id)
            end
            local after = redis.call('HINCRBY', h, 'used', actual)
            local before = after - actual
            for t in string.gmatch(thresholds, '%d+') do
              local pct = tonumber(t)
              if before * 100 < pct * limit and pct * limit <= after * 100 and redis.call('HSETNX', h, 'alerted:' .. t, id) == 1 then
                table.insert(crossed, i); table.insert(crossed, pct); table.insert(crossed, after)
              end
            end
          else
            -- Settled before (a run whose answer was lost): answer again the crossings this id made, so they are not lost.
            for t in string.gmatch(thresholds, '%d+') do
              if redis.call('HGET', h, 'alerted:' .. t) == id then
                table.insert(crossed, i); table.insert(crossed, tonumber(t)); table.insert(crossed, tonumber(redis.call('HGET', h, 'used') or '0'))
              end
            end
          end
          redis.call('PEXPIRE', h, ttl); redis.call('PEXPIRE', done, ttl)
        end
        return crossed
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

    /// <summary>Holds <paramref name="worstCase"/> on every budget of <paramref name="scopes"/> (each in its unit), or on none.</summary>
    public async Task<ReserveResult> ReserveAsync(IReadOnlyList<QuotaScope> scopes, CallSpend worstCase, TimeSpan? ttl = null, string tenantId = "")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(worstCase.WeightedTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(worstCase.Microdollars);
        var now = time.GetUtcNow();
        var reservation = new TokenReservation(Guid.NewGuid().ToString("N"), scopes, scopes.Select(s => s.AmountOf(worstCase)).ToArray(),
            now + (ttl ?? DefaultReservationTtl)) { TenantId = tenantId, WorstCase = worstCase };
        if (scopes.Count == 0)
        {
            return new ReserveResult(reservation, null, long.MaxValue, TimeSpan.Zero);
        }
        var headline = HeadlineScope(scopes);
        var args = new List<RedisValue> { now.ToUnixTimeMilliseconds(), reservation.Id, reservation.ExpiresAt.ToUnixTimeMilliseconds(), headline + 1 };
        for (var i = 0; i < scopes.Count; i++)
        {
            args.Add(scopes[i].Limit);
            args.Add(KeyTtlMs(scopes[i], now));
            args.Add(reservation.Amounts[i]);
        }
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(ReserveScript, Keys(scopes), [.. args]))!;
        if ((long)result[0] == 1)
        {
            // What the first token budget (the tightest window, tokens per minute when set) has left after this hold.
            return new ReserveResult(reservation, null, headline < 0 ? long.MaxValue : (long)result[2], TimeSpan.Zero);
        }
        var refused = scopes[(int)(long)result[1] - 1];
        return new ReserveResult(null, refused, Math.Max(0, (long)result[2]), RetryAfter(refused, now));
    }

    /// <summary>The budget whose remainder a call reports: the first that counts tokens, or -1.</summary>
    public static int HeadlineScope(IReadOnlyList<QuotaScope> scopes)
    {
        for (var i = 0; i < scopes.Count; i++)
        {
            if (scopes[i].Unit == QuotaUnit.Tokens)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Until the refusing budget's window or period ends, and at least a second.</summary>
    public static TimeSpan RetryAfter(QuotaScope refused, DateTimeOffset now)
    {
        var wait = refused.WindowEnd - now;
        return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
    }

    /// <summary>Books the call's real spend (each budget in its unit), releases the rest of its hold, and answers the alert thresholds it crossed.</summary>
    public async Task<IReadOnlyList<ThresholdCrossing>> SettleAsync(TokenReservation reservation, CallSpend actual)
    {
        if (reservation.Scopes.Count == 0)
        {
            return [];
        }
        var now = time.GetUtcNow();
        var args = new List<RedisValue> { reservation.Id, now.ToUnixTimeMilliseconds() };
        foreach (var scope in reservation.Scopes)
        {
            args.Add(KeyTtlMs(scope, now));
            args.Add(Math.Max(0, scope.AmountOf(actual)));
            args.Add(scope.Limit);
            args.Add(string.Join(',', scope.AlertThresholds));
        }
        var keys = reservation.Scopes.SelectMany(s => new RedisKey[] { s.Key + ":res", s.Key, s.Key + ":settled" }).ToArray();
        var crossed = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(SettleScript, keys, [.. args]))!;
        var crossings = new List<ThresholdCrossing>();
        for (var j = 0; j + 2 < crossed.Length; j += 3)
        {
            crossings.Add(new ThresholdCrossing(reservation.Scopes[(int)(long)crossed[j] - 1], (int)(long)crossed[j + 1], (long)crossed[j + 2]));
        }
        return crossings;
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
