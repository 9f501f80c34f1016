using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// Tells every replica of every service at once (Redis pub/sub, <see cref="PlatformChannels"/>) what changed.
/// Every change first leaves this replica's <see cref="ResolvedKeyCache"/>, so it is never answered stale.
/// </summary>
public sealed class PlatformEvents(IConnectionMultiplexer redis, ResolvedKeyCache resolvedKeys, ILogger<PlatformEvents> logger)
{
    public Task<bool> KeyRevokedAsync(string keyId)
    {
        resolvedKeys.EvictKey(keyId);
        return PublishAsync(PlatformChannels.KeyRevoked, keyId);
    }

    public Task<bool> TenantOffboardedAsync(string tenantId)
    {
        resolvedKeys.EvictTenant(tenantId);
        return PublishAsync(PlatformChannels.TenantOffboarded, tenantId);
    }

    public Task<bool> PolicyChangedAsync(string tenantId)
    {
        resolvedKeys.EvictTenant(tenantId);
        return PublishAsync(PlatformChannels.PolicyChanged, tenantId);
    }

    public Task<bool> TenantSuspendedAsync(string tenantId)
    {
        resolvedKeys.EvictTenant(tenantId);
        return PublishAsync(PlatformChannels.TenantSuspended, tenantId);
    }

    /// <summary>False when Redis could not be told; the change is already committed, so callers say so and may retry.</summary>
    private async Task<bool> PublishAsync(string channel, string message)
    {
        try
        {
            await AgentCloud.Platform.ControlEvents.ControlEventStream.PublishAsync(redis, channel, message); // durable stream, then pub/sub
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogError(e, "Could not publish {Message} on {Channel}", message, channel);
            return false;
        }
    }
}
