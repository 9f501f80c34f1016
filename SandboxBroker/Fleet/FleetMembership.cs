using AgentCloud.SandboxBroker.Extensions;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// This broker's place in the fleet: its heartbeat (a score in one sorted set, so survivors see who fell silent and
/// since when), the address siblings forward to, and the live siblings.
/// </summary>
public sealed class FleetMembership(IConnectionMultiplexer redis, HostInstance instance, IOptions<FleetOptions> options, TimeProvider time, IServiceProvider services)
{
    private string? _address;

    public string HostId => instance.HostId;

    /// <summary>Where siblings reach this broker: configured, else the first address Kestrel bound (a wildcard taken as loopback).</summary>
    public string? Address => _address ??= options.Value.Address?.TrimEnd('/') ?? BoundAddress();

    private string? BoundAddress()
    {
        var bound = services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = bound?.OrderBy(a => a.StartsWith("https", StringComparison.Ordinal)).FirstOrDefault();
        if (first is null)
        {
            return null;
        }
        // Kestrel reports a wildcard bind as given; on this machine a sibling reaches it over loopback.
        return first.Replace("://+:", "://127.0.0.1:").Replace("://*:", "://127.0.0.1:").Replace("://0.0.0.0:", "://127.0.0.1:")
            .Replace("://[::]:", "://127.0.0.1:").TrimEnd('/');
    }

    /// <summary>Tells the fleet this broker is alive now; true when it had been declared dead meanwhile.</summary>
    public async Task<bool> BeatAsync()
    {
        var db = redis.GetDatabase();
        if (Address is { } address)
        {
            await db.HashSetAsync(FleetKeys.Addresses, HostId, address);
        }
        await db.SortedSetAddAsync(FleetKeys.Hosts, HostId, time.GetUtcNow().ToUnixTimeMilliseconds());
        return await db.KeyDeleteAsync(FleetKeys.Declared(HostId));
    }

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
        var since = (time.GetUtcNow() - options.Value.HeartbeatTimeout).ToUnixTimeMilliseconds();
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

    /// <summary>The host's last heartbeat while it is live, else null (never seen, left, or fell silent).</summary>
    public async Task<FleetMember?> LiveAsync(string hostId)
    {
        var db = redis.GetDatabase();
        var score = await db.SortedSetScoreAsync(FleetKeys.Hosts, hostId);
        if (score is null || DateTimeOffset.FromUnixTimeMilliseconds((long)score.Value) < time.GetUtcNow() - options.Value.HeartbeatTimeout)
        {
            return null;
        }
        var address = await db.HashGetAsync(FleetKeys.Addresses, hostId);
        return address.HasValue ? new FleetMember(hostId, address!, DateTimeOffset.FromUnixTimeMilliseconds((long)score.Value)) : null;
    }

    /// <summary>The host's last heartbeat, live or not; null once it left or was buried.</summary>
    public async Task<DateTimeOffset?> LastHeartbeatAsync(string hostId) =>
        await redis.GetDatabase().SortedSetScoreAsync(FleetKeys.Hosts, hostId) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms) : null;

    /// <summary>Hosts whose heartbeat lapsed, with their last one.</summary>
    public async Task<IReadOnlyList<(string HostId, DateTimeOffset LastHeartbeat)>> SilentAsync()
    {
        var until = (time.GetUtcNow() - options.Value.HeartbeatTimeout).ToUnixTimeMilliseconds();
        var silent = await redis.GetDatabase().SortedSetRangeByScoreWithScoresAsync(FleetKeys.Hosts, double.NegativeInfinity, until, Exclude.Stop);
        return silent.Where(e => e.Element != HostId).Select(e => ((string)e.Element!, DateTimeOffset.FromUnixTimeMilliseconds((long)e.Score))).ToList();
    }

    /// <summary>A dead host's leases are all settled: it leaves the fleet, marked so that it ends what it held should it come back.</summary>
    public async Task BuryAsync(string hostId)
    {
        var db = redis.GetDatabase();
        await db.StringSetAsync(FleetKeys.Declared(hostId), "1", options.Value.LostRecordTime);
        await db.SortedSetRemoveAsync(FleetKeys.Hosts, hostId);
        await db.HashDeleteAsync(FleetKeys.Addresses, hostId);
    }
}
