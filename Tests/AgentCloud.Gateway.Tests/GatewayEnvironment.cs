using AgentCloud.Tests.Shared;

namespace AgentCloud.Gateway.Tests;

/// <summary>A real Redis, the stand-in ControlPlane and the echo upstream, shared by the Gateways of one test class.</summary>
public sealed class GatewayEnvironment : IAsyncLifetime
{
    public RedisServerFixture Redis { get; } = new();

    public StandInControlPlane ControlPlane { get; private set; } = null!;

    public EchoUpstream Upstream { get; private set; } = null!;

    public GatewayFactory NewGateway(IDictionary<string, string?>? settings = null) =>
        new(Redis.ConnectionString, ControlPlane, Upstream, settings);

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        ControlPlane = await StandInControlPlane.StartAsync();
        Upstream = await EchoUpstream.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Upstream.DisposeAsync();
        await ControlPlane.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
