using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.ControlEvents;
using AgentCloud.Tests.Shared;
using AgentCloud.UsageAggregator.Tenants;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>An offboarding sent while the UsageAggregator was down is honoured when it starts again, from the durable stream.</summary>
[Collection(UsageCollection.Name)]
public sealed class ControlEventReplayTests(UsageServers servers)
{
    [Fact]
    public async Task An_offboarding_sent_while_the_service_was_down_is_honoured_when_it_starts()
    {
        var db = servers.Redis.Connection.GetDatabase();
        await using (await UsageHost.StartAsync(servers))
        {
            await LocalProcess.WaitUntilAsync(async () =>
                    (await db.StreamGroupInfoAsync(ControlEventStream.StreamName)).Any(g => g.Name == "usage-aggregator"),
                TimeSpan.FromSeconds(15), "the usage aggregator's control-event group");
        }
        var tenant = "down-" + Guid.NewGuid().ToString("N")[..8];

        await ControlEventStream.PublishAsync(servers.Redis.Connection, PlatformChannels.TenantOffboarded, tenant); // nobody listens now

        await using var restarted = await UsageHost.StartAsync(servers);
        var offboarded = restarted.Services.GetRequiredService<OffboardedTenants>();
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(offboarded.Contains(tenant)), TimeSpan.FromSeconds(15), "the missed offboarding to be replayed");
        Assert.True(await offboarded.IsOffboardedAsync(tenant, CancellationToken.None));
        await LocalProcess.WaitUntilAsync(async () =>
        {
            var group = (await db.StreamGroupInfoAsync(ControlEventStream.StreamName)).Single(g => g.Name == "usage-aggregator");
            return group.PendingMessageCount == 0 && group.Lag == 0;
        }, TimeSpan.FromSeconds(15), "the event to be acknowledged");
    }
}
