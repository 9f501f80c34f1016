using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Ends a tenant's sandboxes and dedicated pool when the ControlPlane announces its suspension
/// (<see cref="PlatformChannels.TenantSuspended"/>) or offboarding (<see cref="PlatformChannels.TenantOffboarded"/>): the
/// sandboxes are ephemeral, the tenant's data lives in other services. Every broker replica ends its own sandboxes, so
/// each reads its own group of the durable stream. New sandboxes are refused by then: the tenant's keys no longer resolve.
/// </summary>
public sealed class TenantSuspensionListener(SandboxManager manager, Kubernetes.ClusterLeasing cluster, IConnectionMultiplexer redis, ILogger<TenantSuspensionListener> logger)
    : ControlEventListener(redis, logger, ControlEventSubscription.PerReplica(ServiceNames.SandboxBroker, PlatformChannels.TenantSuspended, PlatformChannels.TenantOffboarded))
{
    protected override async Task HandleAsync(string channel, string message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return;
        }
        try
        {
            await manager.OffboardAsync(message);
            await cluster.OffboardAsync(message);
            logger.LogInformation("Tenant {TenantId} {Change}: its sandboxes are ended", message,
                channel == PlatformChannels.TenantSuspended ? "suspended" : "offboarded");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Ending tenant {TenantId}'s sandboxes left something behind; the sweeper retries", message);
        }
    }
}
