using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Drops a revoked key (<see cref="PlatformChannels.KeyRevoked"/>) from this replica's cache, and every key of a tenant
/// whose status, policy or entitlements changed or that was offboarded, so its next call is resolved afresh. Every replica
/// reads its own group of the durable stream, so what it missed while cut off from Redis is applied when it is back.
/// </summary>
public sealed class KeyRevocationListener(IConnectionMultiplexer redis, CachedKeyResolver cache, ILogger<KeyRevocationListener> logger)
    : ControlEventListener(redis, logger, ControlEventSubscription.PerReplica(ServiceNames.Gateway, PlatformChannels.KeyRevoked, PlatformChannels.PolicyChanged, PlatformChannels.TenantOffboarded))
{
    protected override Task HandleAsync(string channel, string message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return Task.CompletedTask;
        }
        if (channel == PlatformChannels.KeyRevoked)
        {
            cache.Forget(message);
            logger.LogInformation("Key {KeyId} revoked: dropped from the cache", message);
        }
        else
        {
            cache.ForgetTenant(message);
            logger.LogInformation("Tenant {TenantId} changed ({Channel}): its keys dropped from the cache", message, channel);
        }
        return Task.CompletedTask;
    }

    protected override void OnSubscriptionRestored()
    {
        cache.Clear();
        logger.LogWarning("Redis subscription restored: key cache cleared while the durable stream catches up");
    }
}
