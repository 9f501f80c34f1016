using System.Text.Json;
using StackExchange.Redis;

namespace AgentCloud.Tools.Servers;

/// <summary>
/// A tenant's registered servers in Redis, one hash per tenant (<c>agentcloud:tools:servers:{tenantId}</c>, field = name).
/// The key is built only from the caller's signed tenant id, so no request can name another tenant's hash: what another
/// tenant registered is simply not there. Redis rather than a database of our own: a handful of small rows per tenant,
/// read on every call, and the platform already runs it.
/// </summary>
public sealed class ToolServerRegistry(IConnectionMultiplexer redis)
{
    private static RedisKey KeyOf(string tenantId) => $"agentcloud:tools:servers:{tenantId}";

    public async Task<IReadOnlyList<ToolServer>> ListAsync(string tenantId)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(KeyOf(tenantId));
        return [.. entries.Select(e => JsonSerializer.Deserialize<ToolServer>(e.Value.ToString(), JsonSerializerOptions.Web)!).OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    public async Task<ToolServer?> GetAsync(string tenantId, string name)
    {
        var value = await redis.GetDatabase().HashGetAsync(KeyOf(tenantId), name);
        return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<ToolServer>(value.ToString(), JsonSerializerOptions.Web);
    }

    /// <summary>Adds a server unless the name is taken or the tenant is at its limit; says which.</summary>
    public async Task<RegistrationResult> AddAsync(string tenantId, ToolServer server, int maxServers)
    {
        var db = redis.GetDatabase();
        // One script, so two concurrent registrations cannot both pass the limit.
        var result = (int)await db.ScriptEvaluateAsync("""
            if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
            if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 2 end
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            return 0
            """, [KeyOf(tenantId)], [server.Name, JsonSerializer.Serialize(server, JsonSerializerOptions.Web), maxServers]);
        return (RegistrationResult)result;
    }

    public Task<bool> RemoveAsync(string tenantId, string name) => redis.GetDatabase().HashDeleteAsync(KeyOf(tenantId), name);

    /// <summary>Drops everything a tenant registered (offboarding).</summary>
    public Task RemoveAllAsync(string tenantId) => redis.GetDatabase().KeyDeleteAsync(KeyOf(tenantId));
}

public enum RegistrationResult
{
    Added = 0,
    NameTaken = 1,
    LimitReached = 2,
}
