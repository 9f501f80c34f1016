using AgentCloud.Tests.Shared;

namespace AgentCloud.Tools.Tests.Support;

/// <summary>One Redis, one fake platform, the sample ticket server and the Tools service (private addresses admitted, as in local runs).</summary>
public sealed class ToolsFixture : IAsyncLifetime
{
    public RedisServerFixture Redis { get; } = new();

    public FakePlatform Platform { get; private set; } = null!;

    public ToolsApp App { get; private set; } = null!;

    public SampleServer Tickets { get; } = new();

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        Platform = await FakePlatform.StartAsync();
        App = new ToolsApp(Redis.ConnectionString, Platform);
        _ = App.Server;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Tickets.DisposeAsync();
        await Platform.DisposeAsync();
        await Redis.DisposeAsync();
    }

    public static string NewTenant() => "t_" + Guid.NewGuid().ToString("N")[..12];
}

[CollectionDefinition(Name)]
public sealed class ToolsCollection : ICollectionFixture<ToolsFixture>
{
    public const string Name = "tools";
}
