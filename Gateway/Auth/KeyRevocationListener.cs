using AgentCloud.ServiceDefaults.Contracts;
using StackExchange.Redis;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Listens on <see cref="PlatformChannels.KeyRevoked"/> so every replica drops a revoked key from its cache the moment
/// the ControlPlane announces it. When the Redis connection drops, messages may be lost, so the cache is cleared on reconnect.
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
                    await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(PlatformChannels.KeyRevoked), OnRevoked);
                    logger.LogInformation("Listening for key revocations on {Channel}", PlatformChannels.KeyRevoked);
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

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            cache.Clear();
            logger.LogWarning("Redis subscription restored: key cache cleared, revocations may have been missed meanwhile");
        }
    }
}
