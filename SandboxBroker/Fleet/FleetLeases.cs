using System.Globalization;
using System.Text.Json;
using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// The fleet's record of leases in Redis, host-level and kubernetes-level alike, each change one script: admitting a lease under the tenant's
/// fleet-wide limit (and recording its owner and lease record), ending it, and claiming a lease for billing. A lease
/// record leaves Redis exactly once, and only whoever removed it bills it, so a lease is billed once however many
/// brokers race (its owner ending it, survivors reaping a dead owner, a restarted broker reading its journal).
/// </summary>
public sealed class FleetLeases(IConnectionMultiplexer redis, HostInstance instance, IOptions<FleetOptions> options)
{
    // KEYS: tenant set, owner hash, host leases. ARGV: id, max, tenant, host, record.
    private const string AdmitScript = """
        if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return redis.call('SCARD', KEYS[1]) end
        redis.call('SADD', KEYS[1], ARGV[1])
        redis.call('DEL', KEYS[2])
        redis.call('HSET', KEYS[2], 'tenant', ARGV[3], 'host', ARGV[4])
        redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
        return -1
        """;

    // KEYS: host leases, tenant set, owner hash. ARGV: id, keep owner (1 while paused), owner lifetime (ms).
    // 1: the record was here (bill it); 0: a survivor billed it as lost (its owner hash says so); 2: no record, no proof (bill it).
    private const string EndScript = """
        local had = redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('SREM', KEYS[2], ARGV[1])
        if had == 0 and redis.call('HEXISTS', KEYS[3], 'lost') == 1 then return 0 end
        if ARGV[2] == '1' then redis.call('PEXPIRE', KEYS[3], ARGV[3]) elseif had == 1 then redis.call('DEL', KEYS[3]) end
        if had == 1 then return 1 end
        return 2
        """;

    // KEYS: host leases, tenant set, owner hash, declared(host). ARGV: id, lost at (unix ms), owner lifetime (ms), require declared.
    // The 'lost' field is the proof that this lease was billed: whoever finds it bills nothing more.
    private const string LoseScript = """
        if ARGV[4] == '1' and redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
        if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
          if redis.call('HEXISTS', KEYS[3], 'lost') == 1 then return 0 end
          return 2
        end
        redis.call('SREM', KEYS[2], ARGV[1])
        redis.call('HSET', KEYS[3], 'lost', ARGV[2])
        redis.call('PEXPIRE', KEYS[3], ARGV[3])
        return 1
        """;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Tenant, bool Paused, TimeSpan PausedFor)> _unfinished = new(StringComparer.Ordinal);

    private IDatabase Db => redis.GetDatabase();

    /// <summary>
    /// Takes a place for the lease under the tenant's fleet-wide limit and records its owner and lease record; the
    /// number of sandboxes the tenant holds across the fleet when the limit is reached (nothing recorded), else null.
    /// </summary>
    public int? TryAdmit(Sandbox sandbox, int max) => TryAdmit(Record(sandbox), max);

    /// <summary>As <see cref="TryAdmit(Sandbox, int)"/> for any lease record (a cluster sandbox's), recorded as this broker's.</summary>
    public int? TryAdmit(LeaseRecord lease, int max)
    {
        var record = Record(lease);
        try
        {
            var held = (int)Db.ScriptEvaluate(AdmitScript,
                [FleetKeys.Tenant(record.TenantId), FleetKeys.Owner(record.SandboxId), FleetKeys.Leases(instance.HostId)],
                [record.SandboxId, max, record.TenantId, instance.HostId, JsonSerializer.Serialize(record, JsonSerializerOptions.Web)]);
            return held < 0 ? null : held;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new SandboxRefusal(RefusalKind.Busy, "The sandbox fleet's shared state (Redis) cannot be reached, so the tenant's sandbox limit cannot be checked; retry shortly.");
        }
    }

    /// <summary>
    /// Before any slot is taken, asynchronously: the tenant's fleet-wide count when it is already at the limit, else
    /// null. A tenant at its limit thus never takes (and loses) a warm slot; the admission script still decides races.
    /// </summary>
    public async Task<long?> AtLimitAsync(string tenantId, int max)
    {
        try
        {
            var held = await Db.SetLengthAsync(FleetKeys.Tenant(tenantId));
            return held >= max ? held : null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            throw new SandboxRefusal(RefusalKind.Busy, "The sandbox fleet's shared state (Redis) cannot be reached, so the tenant's sandbox limit cannot be checked; retry shortly.");
        }
    }

    /// <summary>The lease record as journaled and shared: it names this broker, so a later reader knows whose lease it was.</summary>
    public LeaseRecord Record(Sandbox sandbox) => Record(sandbox.ToLeaseRecord());

    /// <summary>Any lease record (a cluster sandbox's too) as this broker's.</summary>
    public LeaseRecord Record(LeaseRecord lease) => lease with { HostId = instance.HostId };

    /// <summary>
    /// The lease ended here: frees its place and forgets its owner (kept while it is paused, so its resume is forwarded
    /// here). True when this end should be billed: unless the fleet holds proof that a survivor billed it as lost
    /// (a missing record is no proof: Redis may have lost its data), and when Redis cannot say (the event id then keeps a
    /// second bill from counting); a failed end is queued so its place is freed later.
    /// </summary>
    public Task<bool> EndAsync(Sandbox sandbox, bool paused, TimeSpan pausedFor) => EndAsync(sandbox.TenantId, sandbox.Id, paused, pausedFor);

    /// <summary>As <see cref="EndAsync(Sandbox, bool, TimeSpan)"/> by tenant and id (a cluster sandbox's end).</summary>
    public async Task<bool> EndAsync(string tenantId, string sandboxId, bool paused, TimeSpan pausedFor)
    {
        try
        {
            var had = (int)await Db.ScriptEvaluateAsync(EndScript,
                [FleetKeys.Leases(instance.HostId), FleetKeys.Tenant(tenantId), FleetKeys.Owner(sandboxId)],
                [sandboxId, paused ? "1" : "0", (long)pausedFor.TotalMilliseconds]);
            return had != 0;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            _unfinished[sandboxId] = (tenantId, paused, pausedFor);
            return true;
        }
    }

    /// <summary>A lease that was admitted but never handed out (its start failed): its place and owner go, unbilled.</summary>
    public void Abandon(Sandbox sandbox) => Abandon(sandbox.TenantId, sandbox.Id);

    /// <summary>As <see cref="Abandon(Sandbox)"/> by tenant and id (a cluster sandbox whose claim failed).</summary>
    public void Abandon(string tenantId, string sandboxId)
    {
        try
        {
            Db.ScriptEvaluate(EndScript, [FleetKeys.Leases(instance.HostId), FleetKeys.Tenant(tenantId), FleetKeys.Owner(sandboxId)], [sandboxId, "0", 0]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Retried by maintenance, so the tenant's place is not held forever; the create fails either way.
            _unfinished[sandboxId] = (tenantId, false, TimeSpan.Zero);
        }
    }

    /// <summary>Ends that Redis refused, retried (from maintenance) until they go through; how many are still left.</summary>
    public async Task<int> RetryUnfinishedAsync()
    {
        foreach (var (id, (tenant, paused, pausedFor)) in _unfinished.ToArray())
        {
            try
            {
                await Db.ScriptEvaluateAsync(EndScript, [FleetKeys.Leases(instance.HostId), FleetKeys.Tenant(tenant), FleetKeys.Owner(id)],
                    [id, paused ? "1" : "0", (long)pausedFor.TotalMilliseconds]);
                _unfinished.TryRemove(id, out _);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                break; // still away: the next round tries again
            }
        }
        return _unfinished.Count;
    }

    /// <summary>A paused sandbox was deleted or expired: nothing is left to forward to.</summary>
    public async Task ForgetOwnerAsync(string sandboxId)
    {
        try
        {
            await Db.KeyDeleteAsync(FleetKeys.Owner(sandboxId));
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // It expires with the paused sandbox's keep time anyway.
        }
    }

    /// <summary>
    /// Claims a dead host's lease as lost at <paramref name="lostAt"/>, leaving proof that it was billed. With
    /// <paramref name="requireDeclared"/> only while the host is declared dead (a survivor reaping it).
    /// </summary>
    public async Task<LossClaim> LoseAsync(string hostId, LeaseRecord lease, DateTimeOffset lostAt, bool requireDeclared) =>
        (int)await Db.ScriptEvaluateAsync(LoseScript,
            [FleetKeys.Leases(hostId), FleetKeys.Tenant(lease.TenantId), FleetKeys.Owner(lease.SandboxId), FleetKeys.Declared(hostId)],
            [lease.SandboxId, lostAt.ToUnixTimeMilliseconds(), (long)options.Value.LostRecordTime.TotalMilliseconds, requireDeclared ? "1" : "0"]) switch
        {
            1 => LossClaim.Claimed,
            0 => LossClaim.BilledElsewhere,
            2 => LossClaim.NoRecord,
            _ => LossClaim.NotDeclared,
        };

    /// <summary>The lease records a host left, as written at their start.</summary>
    public async Task<IReadOnlyList<LeaseRecord>> LeasesOfAsync(string hostId)
    {
        var entries = await Db.HashGetAllAsync(FleetKeys.Leases(hostId));
        return entries.Select(e => JsonSerializer.Deserialize<LeaseRecord>(e.Value.ToString(), JsonSerializerOptions.Web)).OfType<LeaseRecord>().ToList();
    }

    /// <summary>The sandbox's owner, or null when the fleet has no record of it.</summary>
    public async Task<SandboxOwner?> OwnerOfAsync(string sandboxId)
    {
        var fields = (await Db.HashGetAllAsync(FleetKeys.Owner(sandboxId))).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);
        if (!fields.TryGetValue("tenant", out var tenant) || !fields.TryGetValue("host", out var host))
        {
            return null;
        }
        DateTimeOffset? lost = fields.TryGetValue("lost", out var ms) && long.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var at)
            ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null;
        return new SandboxOwner(tenant, host, lost);
    }

    /// <summary>How many sandboxes (host and cluster) the tenant holds across the fleet.</summary>
    public async Task<long> CountAsync(string tenantId) => await Db.SetLengthAsync(FleetKeys.Tenant(tenantId));
}
