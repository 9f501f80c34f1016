using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Tenants;

/// <summary>Listens on <see cref="PlatformChannels.TenantOffboarded"/> and persists each offboarded tenant.</summary>
public sealed class OffboardingListener(IConnectionMultiplexer redis, OffboardedTenants tenants, ILogger<OffboardingListener> logger) : IHostedService
{
    private ChannelMessageQueue? _queue;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await tenants.LoadAsync(cancellationToken);
        _queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(PlatformChannels.TenantOffboarded));
        _queue.OnMessage(async message =>
        {
            var tenantId = message.Message.ToString();
            if (string.IsNullOrWhiteSpace(tenantId))
            {
                return;
            }
            try
            {
                await tenants.AddAsync(tenantId, CancellationToken.None);
                logger.LogInformation("Tenant {TenantId} offboarded: its usage is kept for billing, new events are dead-lettered", tenantId);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Could not persist the offboarding of tenant {TenantId}", tenantId);
            }
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_queue is not null)
            {
                await _queue.UnsubscribeAsync();
            }
        }
        catch (ObjectDisposedException)
        {
            // The Redis connection was disposed first (shutdown order): there is nothing left to unsubscribe from.
        }
    }
}
