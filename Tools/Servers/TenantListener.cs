using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.Tools.Servers;

/// <summary>
/// Forgets an offboarded tenant's registered servers and drops cached policies when the ControlPlane announces an
/// offboarding or a policy change, so a narrowed tool allowlist takes effect at once.
/// </summary>
internal sealed class TenantListener(IConnectionMultiplexer redis, ToolServerRegistry registry, TenantPolicyClient policies, ILogger<TenantListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Redis may be down at start: keep trying; once subscribed, the multiplexer resubscribes after reconnects.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var subscriber = redis.GetSubscriber();
                (await subscriber.SubscribeAsync(RedisChannel.Literal(PlatformChannels.TenantOffboarded))).OnMessage(async m => await OffboardAsync(m.Message.ToString()));
                (await subscriber.SubscribeAsync(RedisChannel.Literal(PlatformChannels.PolicyChanged))).OnMessage(m => policies.Forget(m.Message.ToString()));
                return;
            }
            catch (RedisException e)
            {
                logger.LogWarning(e, "Could not subscribe to tenant messages; retrying");
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
        policies.Forget(tenantId);
        try
        {
            await registry.RemoveAllAsync(tenantId);
        }
        catch (RedisException e)
        {
            logger.LogError(e, "Could not forget the tool servers of offboarded tenant {TenantId}", tenantId);
        }
    }
}
