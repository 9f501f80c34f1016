using AgentCloud.Platform.Outbox;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Outbox;

public static class BrokerOutbox
{
    /// <summary>
    /// The shared outbox, spooling under the broker's root (<c>&lt;Root&gt;/outbox</c>, beside the sandboxes it
    /// bills) and retrying at <see cref="SandboxBrokerOptions.OutboxRetryInterval"/>.
    /// </summary>
    public static IServiceCollection AddBrokerOutbox(this IServiceCollection services)
    {
        services.AddStreamOutbox();
        services.AddOptions<StreamOutboxOptions>().Configure<IOptions<SandboxBrokerOptions>>((outbox, broker) =>
        {
            outbox.SpoolDirectory ??= Path.Combine(Path.GetFullPath(broker.Value.Root), "outbox");
            outbox.RetryInterval = broker.Value.OutboxRetryInterval;
        });
        return services;
    }
}
