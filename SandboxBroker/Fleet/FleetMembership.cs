using System.Diagnostics;
using AgentCloud.SandboxBroker.Extensions;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// This broker's place in the fleet: its heartbeat (a score in one sorted set, in Redis's own time so no broker's clock
/// matters), the address siblings forward to, and the live siblings. A host is declared dead by one script that
/// re-checks its silence, so a beat and a declaration never cross; the declared host learns it from its next beat.
/// </summary>
public sealed class FleetMembership(IConnectionMultiplexer redis, HostInstance instance, IOptions<FleetOptions> options, IServiceProvider services, ILogger<FleetMembership> logger)
{
    // KEYS: hosts, addresses, declared(host). ARGV: host, address ('' for none). The server time (ms), or -1 once declared dead.
    private const string BeatScript = """
        if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZADD', KEYS[1], now, ARGV[1])
        if ARGV[2] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
        return now
        """;

    // KEYS: hosts, addresses, dead, declared(target). ARGV: target, reaper, timeout (ms), declared lifetime (ms).
    // Only a reaper that beat within half the timeout may declare, and only a target still silent past the whole timeout.
    private const string DeclareScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local mine = redis.call('ZSCORE', KEYS[1], ARGV[2])
        if not mine or tonumber(mine) < now - tonumber(ARGV[3]) / 2 then return -1 end
        local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if not last or tonumber(last) >= now - tonumber(ARGV[3]) then return -1 end
        redis.call('SET', KEYS[4], last, 'PX', ARGV[4])
        redis.call('HSET', KEYS[3], ARGV[1], last)
        redis.call('ZREM', KEYS[1], ARGV[1])
        redis.call('HDEL', KEYS[2], ARGV[1])
        return tonumber(last)
        """;

    private readonly Lock _gate = new();
    private readonly Stopwatch _sinceBeat = new();
    private long? _lastBeatMs;
    private long? _chainStartMs;
    private string? _address;

    public string HostId => instance.HostId;

    private TimeSpan Timeout => options.Value.HeartbeatTimeout;

    /// <summary>Where siblings reach this broker: configured, else the first address Kestrel bound (a wildcard: see <see cref="AdvertisedAddress"/>).</summary>
    public string? Address => _address ??= options.Value.Address?.TrimEnd('/') ?? BoundAddress();

    private string? BoundAddress()
    {
        var bound = services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = bound?.OrderBy(a => a.StartsWith("https", StringComparison.Ordinal)).FirstOrDefault();
        if (first is null)
        {
            return null;
        }
        var address = AdvertisedAddress.For(first, Environment.GetEnvironmentVariable("POD_IP"), AdvertisedAddress.OfThisHost(), out var warning);
        if (warning is not null)
        {
            logger.LogWarning("{Warning}", warning);
        }
        return address;
    }

    /// <summary>Redis's time now, estimated from this broker's last beat (local clock only before the first one).</summary>
    public DateTimeOffset Now()
    {
        lock (_gate)
        {
            return _lastBeatMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) + _sinceBeat.Elapsed : DateTimeOffset.UtcNow;
        }
    }

    /// <summary>
    /// Whether this broker's own beats have been continuous (no gap over half the timeout) for at least the timeout:
    /// only then may it judge siblings, since a broker that was itself away (Redis outage, a stall) would see everyone silent.
    /// </summary>
    public bool MayReap
    {
        get
        {
            lock (_gate)
            {
                return _lastBeatMs is { } last && _chainStartMs is { } start && last - start >= (long)Timeout.TotalMilliseconds
                    && _sinceBeat.Elapsed < Timeout / 2;
            }
        }
    }

    /// <summary>True once this broker's last successful beat is older than the timeout: siblings may be declaring it dead.</summary>
    public bool CutOff
    {
        get
        {
            lock (_gate)
            {
                return _lastBeatMs is not null && _sinceBeat.Elapsed >= Timeout;
            }
        }
    }

    /// <summary>Tells the fleet this broker is alive now; true when it had been declared dead meanwhile (then it did not beat).</summary>
    public async Task<bool> BeatAsync()
    {
        RedisResult result;
        try
        {
            result = await redis.GetDatabase().ScriptEvaluateAsync(BeatScript, [FleetKeys.Hosts, FleetKeys.Addresses, FleetKeys.Declared(HostId)], [HostId, Address ?? ""]);
        }
        catch
        {
            lock (_gate)
            {
                _chainStartMs = null;
            }
            throw;
        }
        var now = (long)result;
        lock (_gate)
        {
            if (now < 0)
            {
                _chainStartMs = null;
                return true;
            }
            if (_chainStartMs is null || _lastBeatMs is not { } last || now - last > (long)(Timeout / 2).TotalMilliseconds)
            {
                _chainStartMs = now;
            }
            _lastBeatMs = now;
            _sinceBeat.Restart();
            return false;
        }
    }

    /// <summary>Once this broker ended what it held after being declared dead, it joins the fleet again as new.</summary>
    public async Task RejoinAsync() => await redis.GetDatabase().KeyDeleteAsync(FleetKeys.Declared(HostId));

    /// <summary>
    /// Leaves the fleet on an orderly stop, once its leases were ended one by one; with any left (an end that failed),
    /// it stays to fall silent, so a survivor settles them.
    /// </summary>
    public async Task LeaveAsync()
    {
        var db = redis.GetDatabase();
        if (await db.HashLengthAsync(FleetKeys.Leases(HostId)) > 0)
        {
            return;
        }
        await db.SortedSetRemoveAsync(FleetKeys.Hosts, HostId);
        await db.HashDeleteAsync(FleetKeys.Addresses, HostId);
    }

    /// <summary>The siblings that beat within the timeout, with their addresses (this broker excluded).</summary>
    public async Task<IReadOnlyList<FleetMember>> LiveSiblingsAsync()
    {
        var db = redis.GetDatabase();
        var since = (Now() - Timeout).ToUnixTimeMilliseconds();
        var live = await db.SortedSetRangeByScoreWithScoresAsync(FleetKeys.Hosts, since, double.PositiveInfinity);
        var members = new List<FleetMember>();
        foreach (var entry in live.Where(e => e.Element != HostId))
        {
            if (await db.HashGetAsync(FleetKeys.Addresses, entry.Element) is { HasValue: true } address)
            {
                members.Add(new FleetMember(entry.Element!, address!, DateTimeOffset.FromUnixTimeMilliseconds((long)entry.Score)));
            }
        }
        return members;
    }

    /// <summary>The host's last heartbeat while it is live, else null (never seen, left, or silent: not yet known dead).</summary>
    public async Task<FleetMember?> LiveAsync(string hostId)
    {
        var db = redis.GetDatabase();
        var score = await db.SortedSetScoreAsync(FleetKeys.Hosts, hostId);
        if (score is null || DateTimeOffset.FromUnixTimeMilliseconds((long)score.Value) < Now() - Timeout)
        {
            return null;
        }
        var address = await db.HashGetAsync(FleetKeys.Addresses, hostId);
        return address.HasValue ? new FleetMember(hostId, address!, DateTimeOffset.FromUnixTimeMilliseconds((long)score.Value)) : null;
    }

    /// <summary>Hosts whose heartbeat looks lapsed (the declaration re-checks it in Redis's time).</summary>
    public async Task<IReadOnlyList<string>> SilentAsync()
    {
        var until = (Now() - Timeout).ToUnixTimeMilliseconds();
        var silent = await redis.GetDatabase().SortedSetRangeByScoreAsync(FleetKeys.Hosts, double.NegativeInfinity, until, Exclude.Stop);
        return silent.Where(e => e != HostId).Select(e => (string)e!).ToList();
    }

    /// <summary>Declares the host dead if it is still silent past the timeout and this broker is live; its last heartbeat, else null.</summary>
    public async Task<DateTimeOffset?> DeclareDeadAsync(string hostId)
    {
        var last = (long)await redis.GetDatabase().ScriptEvaluateAsync(DeclareScript,
            [FleetKeys.Hosts, FleetKeys.Addresses, FleetKeys.Dead, FleetKeys.Declared(hostId)],
            [hostId, HostId, (long)Timeout.TotalMilliseconds, (long)options.Value.LostRecordTime.TotalMilliseconds]);
        return last < 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(last);
    }

    /// <summary>Hosts declared dead whose leases are still being settled, with their last heartbeat.</summary>
    public async Task<IReadOnlyList<(string HostId, DateTimeOffset LastHeartbeat)>> DeadAsync() =>
        (await redis.GetDatabase().HashGetAllAsync(FleetKeys.Dead))
            .Select(e => ((string)e.Name!, DateTimeOffset.FromUnixTimeMilliseconds((long)e.Value))).ToList();

    /// <summary>A dead host's leases are all settled: nothing is left to do for it (its declared mark stays, for its return).</summary>
    public async Task BuryAsync(string hostId) => await redis.GetDatabase().HashDeleteAsync(FleetKeys.Dead, hostId);
}
