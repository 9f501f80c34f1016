using AgentCloud.Memory.Domain;
using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.Memory.Offboarding;

/// <summary>
/// Offboardings and policy changes from the durable control-event stream, so one sent while Memory was down is acted
/// on when it starts: the tenant's memory is deleted (again, harmlessly, if the pub/sub message got here first).
/// </summary>
internal sealed class OffboardingReplay(IConnectionMultiplexer redis, MemoryService memory, IServiceProvider services, ILogger<OffboardingReplay> logger)
    : ControlEventReplay(redis, logger)
{
    private static readonly IReadOnlySet<string> Handled = new HashSet<string> { PlatformChannels.TenantOffboarded, PlatformChannels.PolicyChanged };

    protected override string Group => "memory";

    protected override IReadOnlySet<string> Channels => Handled;

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
