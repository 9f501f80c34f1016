using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.Tools.Servers;

/// <summary>
/// Forgets an offboarded tenant's registered servers and drops cached policies when the ControlPlane announces an
/// offboarding or a policy change, so a narrowed tool allowlist takes effect at once; one sent while the service was
/// down is applied when it starts.
/// </summary>
internal sealed class TenantListener(IConnectionMultiplexer redis, ToolServerRegistry registry, TenantPolicyClient policies, ILogger<TenantListener> logger)
    : ControlEventListener(redis, logger, ControlEventSubscription.Shared(ServiceNames.Tools, PlatformChannels.TenantOffboarded, PlatformChannels.PolicyChanged))
{
    protected override async Task HandleAsync(string channel, string message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return;
        }
        policies.Forget(message);
        if (channel == PlatformChannels.TenantOffboarded)
        {
            await registry.RemoveAllAsync(message);
        }
    }
}
