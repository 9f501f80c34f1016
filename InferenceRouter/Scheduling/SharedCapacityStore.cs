using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Scheduling;

/// <summary>What one heartbeat brought back: this replica's share of the slots, how many replicas are live, and each
/// reported tenant's weighted tokens served on the endpoint by all replicas together.</summary>
public sealed record SharedCapacityGrant(int Slots, int LiveReplicas, IReadOnlyDictionary<string, double> ServedEverywhere);

/// <summary>
/// The endpoint's slots split among live router replicas, in Redis, one script per heartbeat (never per call). The
/// script drops replicas whose lease ran out, records this one's demand, computes every live replica's target share,
/// and grants this replica no more than the slots the others do not hold, so the recorded holdings never sum past the
/// endpoint's cap. A replica is recorded as holding what it may still be using (its old share or its calls in
/// flight, if more) until a later heartbeat shows it has drained, which is what makes a shrinking share safe.
/// </summary>
public sealed class SharedCapacityStore(IConnectionMultiplexer redis)
{
    // Target shares: each live replica gets 1 + ReservedSlots (when there are enough), so a tenant new to the endpoint
    // starts at once whichever replica its call reaches; the rest go to replicas with more
    // calls than slots, in proportion to the tenants they serve (a tenant active on k replicas counts 1/k of its
    // weight on each), one slot at a time to whoever has least per unit of that weight; leftovers go round. Ties and
    // leftovers start from a replica that changes every lease period, so with fewer slots than replicas none starves.
    // Leases run on Redis's clock (TIME), so replicas' wall clocks need not agree.
    private const string Script = """
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local me, lease, cap, bound = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        for _, r in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)) do
          if r ~= me then
            redis.call('ZREM', KEYS[1], r)
            redis.call('HDEL', KEYS[2], r)
            redis.call('HDEL', KEYS[3], r)
          end
        end
        redis.call('ZADD', KEYS[1], now + lease, me)
        redis.call('HSET', KEYS[3], me, ARGV[5])
        local live = redis.call('ZRANGE', KEYS[1], 0, -1)
        table.sort(live)
        local n = #live
        local calls, tenants, spread, weight = {}, {}, {}, {}
        for i, r in ipairs(live) do
          local d = cjson.decode(redis.call('HGET', KEYS[3], r) or '{"c":0,"t":{}}')
          calls[i], tenants[i] = d.c, d.t
          for t, _ in pairs(d.t) do spread[t] = (spread[t] or 0) + 1 end
        end
        for i = 1, n do
          local w = 0
          for t, tw in pairs(tenants[i]) do w = w + tw / spread[t] end
          weight[i] = w
        end
        local target, left, base = {}, cap, math.min(1 + tonumber(ARGV[6]), math.floor(cap / n))
        for i = 1, n do
          target[i] = base
          left = left - base
        end
        local turn = math.floor(now / lease) % n
        while left > 0 do
          local best = nil
          for s = 0, n - 1 do
            local i = ((s + turn) % n) + 1
            if target[i] < calls[i] and weight[i] > 0 and (best == nil or target[i] / weight[i] < target[best] / weight[best]) then best = i end
          end
          if best == nil then break end
          target[best] = target[best] + 1
          left = left - 1
        end
        local k = turn
        while left > 0 do
          target[(k % n) + 1] = target[(k % n) + 1] + 1
          left, k = left - 1, k + 1
        end
        local mine, others = 0, 0
        for i = 1, n do if live[i] == me then mine = target[i] end end
        local held = redis.call('HGETALL', KEYS[2])
        for j = 1, #held, 2 do
          if held[j] ~= me then others = others + tonumber(held[j + 1]) end
        end
        local grant = math.max(0, math.min(mine, cap - others))
        redis.call('HSET', KEYS[2], me, math.max(grant, bound))
        local out = { grant, n }
        for j = 7, #ARGV, 2 do
          out[#out + 1] = redis.call('HINCRBYFLOAT', KEYS[4], ARGV[j], ARGV[j + 1])
        end
        for j = 1, 3 do redis.call('PEXPIRE', KEYS[j], lease * 20) end
        redis.call('PEXPIRE', KEYS[4], 86400000)
        return out
        """;

    /// <summary>One heartbeat for one endpoint. <paramref name="usageBound"/> is the most this replica may be using
    /// until it applies the answer: its current share, or its calls in flight if a shrink left more running.</summary>
    public async Task<SharedCapacityGrant> HeartbeatAsync(string endpoint, string replica, TimeSpan lease,
        FairSchedulerOptions limits, int usageBound, SchedulerSnapshot snapshot, IReadOnlyList<KeyValuePair<string, double>> servedHere)
    {
        var reserved = limits.Policy == SchedulingPolicy.Fair ? limits.ReservedSlots : 0;
        var args = new List<RedisValue>(6 + 2 * servedHere.Count)
        {
            replica, (long)lease.TotalMilliseconds, limits.MaxInFlight, usageBound, Demand(snapshot), reserved,
        };
        foreach (var (tenant, delta) in servedHere)
        {
            args.Add(tenant);
            args.Add(delta.ToString("R", CultureInfo.InvariantCulture));
        }
        // A hash tag keeps one endpoint's keys on one Redis Cluster slot, as a script needs.
        var prefix = $"router:sched:{{{endpoint}}}:";
        RedisKey[] keys = [prefix + "live", prefix + "held", prefix + "demand", prefix + "served"];
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, keys, [.. args]))!;
        var served = new Dictionary<string, double>(servedHere.Count, StringComparer.Ordinal);
        for (var i = 0; i < servedHere.Count; i++)
        {
            served[servedHere[i].Key] = double.Parse((string)result[2 + i]!, CultureInfo.InvariantCulture);
        }
        return new SharedCapacityGrant((int)result[0], (int)result[1], served);
    }

    /// <summary>A stopping replica with nothing in flight gives its slots back at once rather than at its lease's end.</summary>
    public async Task LeaveAsync(string endpoint, string replica)
    {
        var prefix = $"router:sched:{{{endpoint}}}:";
        var leave = redis.GetDatabase().CreateTransaction();
        _ = leave.SortedSetRemoveAsync(prefix + "live", replica);
        _ = leave.HashDeleteAsync(prefix + "held", replica);
        _ = leave.HashDeleteAsync(prefix + "demand", replica);
        await leave.ExecuteAsync();
    }

    private static string Demand(SchedulerSnapshot snapshot)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("c", snapshot.InFlight + snapshot.Queued);
            json.WriteStartObject("t");
            foreach (var (tenant, state) in snapshot.Tenants)
            {
                if (state.Active)
                {
                    json.WriteNumber(tenant, state.Weight);
                }
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
