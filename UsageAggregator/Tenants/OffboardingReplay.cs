using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Tenants;

/// <summary>Offboardings from the durable control-event stream, so one sent while this service was down is honoured when it starts.</summary>
public sealed class OffboardingReplay(IConnectionMultiplexer redis, OffboardedTenants tenants, ILogger<OffboardingReplay> logger)
    : ControlEventReplay(redis, logger)
{
    private static readonly IReadOnlySet<string> Offboarded = new HashSet<string> { PlatformChannels.TenantOffboarded };

    protected override string Group => "usage-aggregator";

    protected override IReadOnlySet<string> Channels => Offboarded;

    protected override Task HandleAsync(string channel, string message, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(message) ? Task.CompletedTask : tenants.AddAsync(message, cancellationToken);
}
