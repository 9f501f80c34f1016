using AgentCloud.Memory.Domain;
using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.Memory.Offboarding;

/// <summary>
/// Deletes an offboarded tenant's memory (<see cref="PlatformChannels.TenantOffboarded"/>), also one sent while Memory
/// was down, and drops the tenant's cached policy on that and on <see cref="PlatformChannels.PolicyChanged"/>. Deleting
/// twice (both paths) is harmless.
/// </summary>
internal sealed class TenantOffboardingListener(IConnectionMultiplexer redis, MemoryService memory, IServiceProvider services,
    ILogger<TenantOffboardingListener> logger) : ControlEventListener(redis, logger, ControlEventSubscription.Shared(ServiceNames.Memory, PlatformChannels.TenantOffboarded, PlatformChannels.PolicyChanged))
{
    protected override async Task HandleAsync(string channel, string message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return;
        }
        services.GetService<TenantPolicyClient>()?.Forget(message);
        if (channel == PlatformChannels.TenantOffboarded)
        {
            await memory.OffboardTenantAsync(message, cancellationToken);
        }
    }
}
