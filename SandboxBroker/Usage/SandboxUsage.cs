using AgentCloud.ServiceDefaults.Contracts;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Usage;

/// <summary>Emits sandbox seconds to the usage stream, one event per lease, when the lease ends.</summary>
public sealed class SandboxUsage(IConnectionMultiplexer redis, ILogger<SandboxUsage> logger)
{
    public async Task EmitAsync(Sandboxes.Sandbox sandbox, DateTimeOffset endedAt, string status)
    {
        var held = endedAt - sandbox.CreatedAt;
        var usage = new UsageEvent
        {
            EventId = $"sandbox:{sandbox.Id}",
            TenantId = sandbox.TenantId,
            Principal = sandbox.Principal,
            RunId = sandbox.RunId,
            Kind = "sandbox",
            Resource = $"sandbox:{sandbox.Isolation}",
            Placement = sandbox.Pool,
            SandboxSeconds = Math.Max(0, held.TotalSeconds),
            StartedAt = sandbox.CreatedAt,
            DurationMs = (long)Math.Max(0, held.TotalMilliseconds),
            Status = status,
        };
        try
        {
            var fields = usage.ToStreamFields().Select(f => new NameValueEntry(f.Key, f.Value)).ToArray();
            await redis.GetDatabase().StreamAddAsync(UsageEvent.StreamName, fields);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            logger.LogError(e, "Usage event {EventId} for tenant {TenantId} could not be written", usage.EventId, usage.TenantId);
        }
    }
}
