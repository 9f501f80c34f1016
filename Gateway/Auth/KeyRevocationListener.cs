using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Listens on <see cref="PlatformChannels.KeyRevoked"/> so every replica drops a revoked key from its cache the moment
/// the ControlPlane announces it, and on <see cref="PlatformChannels.PolicyChanged"/> (suspension, reactivation, policy or
/// entitlement changes) and <see cref="PlatformChannels.TenantOffboarded"/> so it drops every key of that tenant, whose
/// next call is resolved afresh. When the Redis connection drops, messages may be lost, so the cache is cleared on reconnect.
/// </summary>
public sealed class KeyRevocationListener(IConnectionMultiplexer redis, CachedKeyResolver cache, ILogger<KeyRevocationListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var subscriber = redis.GetSubscriber();
                    await subscriber.SubscribeAsync(RedisChannel.Literal(PlatformChannels.KeyRevoked), OnRevoked);
                    await subscriber.SubscribeAsync(RedisChannel.Literal(PlatformChannels.PolicyChanged), OnTenantChanged);
                    await subscriber.SubscribeAsync(RedisChannel.Literal(PlatformChannels.TenantOffboarded), OnTenantChanged);
                    logger.LogInformation("Listening for key revocations and tenant changes");
                    break;
                }
                catch (RedisException e)
                {
                    logger.LogWarning(e, "Could not subscribe to key revocations yet; retrying");
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            redis.ConnectionRestored -= OnConnectionRestored;
        }
    }

    private void OnRevoked(RedisChannel channel, RedisValue message)
    {
        var keyId = message.ToString();
        if (!string.IsNullOrWhiteSpace(keyId))
        {
            cache.Forget(keyId);
            logger.LogInformation("Key {KeyId} revoked: dropped from the cache", keyId);
        }
    }

    private void OnTenantChanged(RedisChannel channel, RedisValue message)
    {
        var tenantId = message.ToString();
        if (!string.IsNullOrWhiteSpace(tenantId))
        {
            cache.ForgetTenant(tenantId);
            logger.LogInformation("Tenant {TenantId} changed ({Channel}): its keys dropped from the cache", tenantId, channel.ToString());
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            cache.Clear();
            logger.LogWarning("Redis subscription restored: key cache cleared, revocations may have been missed meanwhile");
        }
    }
}
