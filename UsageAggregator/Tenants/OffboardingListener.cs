using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Tenants;

/// <summary>
/// Persists each offboarded tenant (<see cref="PlatformChannels.TenantOffboarded"/>), also one sent while this service
/// was down: its usage is kept for billing, new events for it are dead-lettered. The known ones are loaded at start.
/// </summary>
public sealed class OffboardingListener(IConnectionMultiplexer redis, OffboardedTenants tenants, ILogger<OffboardingListener> logger)
    : ControlEventListener(redis, logger, ControlEventSubscription.Shared(ServiceNames.UsageAggregator, PlatformChannels.TenantOffboarded))
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await tenants.LoadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task HandleAsync(string channel, string message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return;
        }
        await tenants.AddAsync(message, cancellationToken);
        logger.LogInformation("Tenant {TenantId} offboarded: its usage is kept for billing, new events are dead-lettered", message);
    }
}
