using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>A suspended tenant's sandboxes end as soon as the ControlPlane announces the suspension; other tenants' stay.</summary>
[Collection(BrokerCollection.Name)]
public sealed class SuspensionTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    [Fact]
    public async Task Suspending_a_tenant_ends_its_sandboxes_and_leaves_others_running()
    {
        var suspended = Broker.ClientFor("suspend-me");
        var stays = Broker.ClientFor("suspend-bystander");
        var sandbox = await suspended.CreateSandboxAsync();
        var other = await stays.CreateSandboxAsync();

        await fixture.Redis.Connection.GetSubscriber().PublishAsync(RedisChannel.Literal(PlatformChannels.TenantSuspended), "suspend-me");

        await IsolationTests.WaitUntil(() => Broker.Manager.Find("suspend-me", sandbox.Id) is null);
        Assert.NotNull(Broker.Manager.Find("suspend-bystander", other.Id));
    }
}
