using AgentCloud.Memory.Domain;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.Memory.Offboarding;

/// <summary>
/// Deletes an offboarded tenant's memory when the ControlPlane announces it on <see cref="PlatformChannels.TenantOffboarded"/>,
/// and drops the tenant's cached policy on that and on <see cref="PlatformChannels.PolicyChanged"/>.
/// </summary>
internal sealed class TenantOffboardingListener(IConnectionMultiplexer redis, MemoryService memory, IServiceProvider services,
    ILogger<TenantOffboardingListener> logger) : BackgroundService
{
    private ISubscriber? _subscriber;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Redis may be down at start: keep trying; once subscribed, the multiplexer resubscribes after reconnects.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var subscriber = redis.GetSubscriber();
                var offboarded = await subscriber.SubscribeAsync(RedisChannel.Literal(PlatformChannels.TenantOffboarded));
                offboarded.OnMessage(async message => await OffboardAsync(message.Message.ToString()));
                var changed = await subscriber.SubscribeAsync(RedisChannel.Literal(PlatformChannels.PolicyChanged));
                changed.OnMessage(message => services.GetService<TenantPolicyClient>()?.Forget(message.Message.ToString()));
                _subscriber = subscriber;
                return;
            }
            catch (RedisException e)
            {
                logger.LogWarning(e, "Could not subscribe to tenant offboarding messages; retrying");
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    private async Task OffboardAsync(string tenantId)
    {
        if (string.IsNullOrWhiteSpace(tenantId))
        {
            return;
        }
        services.GetService<TenantPolicyClient>()?.Forget(tenantId);
        try
        {
            await memory.OffboardTenantAsync(tenantId, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not delete the memory of offboarded tenant {TenantId}", tenantId);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_subscriber is not null)
        {
            await _subscriber.UnsubscribeAsync(RedisChannel.Literal(PlatformChannels.TenantOffboarded));
            await _subscriber.UnsubscribeAsync(RedisChannel.Literal(PlatformChannels.PolicyChanged));
        }
    }
}
