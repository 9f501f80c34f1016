using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// Where the fleet keeps its shared state in Redis: every key in one hash slot (<c>{sbxfleet}</c>), so the scripts
/// that touch several of them also run on a Redis Cluster.
/// </summary>
public static class FleetKeys
{
    /// <summary>Sorted set: broker host id, scored by its last heartbeat (unix ms).</summary>
    public static readonly RedisKey Hosts = "{sbxfleet}:hosts";

    /// <summary>Hash: broker host id to the address siblings forward to.</summary>
    public static readonly RedisKey Addresses = "{sbxfleet}:addresses";

    /// <summary>Hash: a broker's live leases, sandbox id to its lease record (JSON), readable by whoever outlives it.</summary>
    public static RedisKey Leases(string hostId) => $"{{sbxfleet}}:leases:{hostId}";

    /// <summary>Hash: a sandbox's tenant, owner host and, once its owner died, when it was lost.</summary>
    public static RedisKey Owner(string sandboxId) => $"{{sbxfleet}}:owner:{sandboxId}";

    /// <summary>Set: the tenant's live sandboxes (host and cluster levels) across the fleet (its concurrency count).</summary>
    public static RedisKey Tenant(string tenantId) => $"{{sbxfleet}}:tenant:{tenantId}";

    /// <summary>Hash: hosts declared dead whose leases are not all settled yet, to their last heartbeat (unix ms, Redis time).</summary>
    public static readonly RedisKey Dead = "{sbxfleet}:dead";

    /// <summary>Set while a host declared dead could still come back: it then ends what it held without billing it again.</summary>
    public static RedisKey Declared(string hostId) => $"{{sbxfleet}}:declared-dead:{hostId}";
}
