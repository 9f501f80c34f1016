using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Ends a suspended tenant's sandboxes and dedicated pool when the ControlPlane announces the suspension on
/// <see cref="PlatformChannels.TenantSuspended"/>: the same reaction as offboarding (the tenant's sandboxes are
/// ephemeral; its data lives in other services and stays). New sandboxes are refused by then, since the tenant's keys no
/// longer resolve.
/// </summary>
public sealed class TenantSuspensionListener(SandboxManager manager, IConnectionMultiplexer redis, ILogger<TenantSuspensionListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ChannelMessageQueue? queue = null;
        while (queue is null && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(PlatformChannels.TenantSuspended));
            }
            catch (RedisException e)
            {
                logger.LogWarning(e, "Could not subscribe to tenant suspensions yet; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
        if (queue is null)
        {
            return;
        }
        queue.OnMessage(async message =>
        {
            var tenantId = message.Message.ToString();
            try
            {
                await manager.OffboardAsync(tenantId);
                logger.LogInformation("Tenant {TenantId} suspended: its sandboxes are ended", tenantId);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogError(e, "Ending suspended tenant {TenantId}'s sandboxes left something behind; the sweeper retries", tenantId);
            }
        });
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
        try
        {
            await queue.UnsubscribeAsync();
        }
        catch (ObjectDisposedException)
        {
            // The Redis connection was disposed first (shutdown order).
        }
    }
}
