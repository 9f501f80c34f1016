using System.Diagnostics;
using System.Net;
using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using StackExchange.Redis;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// Revocations and tenant changes also travel on the durable control-event stream, which every Gateway replica reads
/// in a group of its own: a replica whose pub/sub message was lost (its subscription was down) still applies it.
/// </summary>
public sealed class DurableRevocationTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private readonly GatewayFactory _gateway = env.NewGateway();

    [Fact]
    public async Task A_revocation_that_only_reached_the_durable_stream_is_applied_by_a_replica_with_the_key_cached()
    {
        var (keyId, key) = env.ControlPlane.AddKey("durable-revokee");
        using var client = _gateway.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models")).StatusCode);
        await WaitForReplicaGroupAsync();

        env.ControlPlane.Revoke(keyId);
        var sent = Stopwatch.StartNew();
        await AppendOnlyToStreamAsync(PlatformChannels.KeyRevoked, keyId);

        await LocalProcess.WaitUntilAsync(async () => (await client.GetAsync("/v1/models")).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(10), "the cached key to be refused");
        // Far inside the key cache's lifetime: the stream, not the cache's expiry, did it.
        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(5), $"took {sent.Elapsed}");
    }

    [Fact]
    public async Task A_suspension_that_only_reached_the_durable_stream_refuses_the_tenant_but_not_its_neighbour()
    {
        var (_, key) = env.ControlPlane.AddKey("durable-suspendee");
        var (_, neighbourKey) = env.ControlPlane.AddKey("durable-neighbour");
        using var client = _gateway.Client(key);
        using var neighbour = _gateway.Client(neighbourKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await neighbour.GetAsync("/v1/models")).StatusCode);
        await WaitForReplicaGroupAsync();

        env.ControlPlane.Suspend("durable-suspendee");
        await AppendOnlyToStreamAsync(PlatformChannels.PolicyChanged, "durable-suspendee");

        await LocalProcess.WaitUntilAsync(async () => (await client.GetAsync("/v1/models")).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(10), "the suspended tenant to be refused");
        Assert.Equal(HttpStatusCode.OK, (await neighbour.GetAsync("/v1/models")).StatusCode);
    }

    /// <summary>What a replica whose subscription was down would see: the event on the stream, none on pub/sub.</summary>
    private Task AppendOnlyToStreamAsync(string channel, string message) =>
        env.Redis.Connection.GetDatabase().StreamAddAsync(ControlEventStream.StreamName,
            [new NameValueEntry(ControlEventStream.ChannelField, channel), new NameValueEntry(ControlEventStream.MessageField, message)]);

    private Task WaitForReplicaGroupAsync() =>
        LocalProcess.WaitUntilAsync(async () =>
        {
            var db = env.Redis.Connection.GetDatabase();
            return await db.KeyExistsAsync(ControlEventStream.StreamName)
                && (await db.StreamGroupInfoAsync(ControlEventStream.StreamName)).Any(g => g.Name?.StartsWith(ServiceNames.Gateway + ":", StringComparison.Ordinal) == true);
        }, TimeSpan.FromSeconds(15), "the Gateway replica's control-event group");

    public void Dispose() => _gateway.Dispose();
}
