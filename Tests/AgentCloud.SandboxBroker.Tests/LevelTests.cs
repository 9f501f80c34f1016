using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// Tests that run once per isolation level: at a level this host (or this broker's configuration) does not offer, the
/// catalog must say why, and the test stops there. Subclasses pick the broker and the levels they cover.
/// </summary>
public abstract class LevelTests
{
    public static readonly string[] AllLevels = [IsolationLevels.Gvisor, IsolationLevels.Bubblewrap, IsolationLevels.Namespace, IsolationLevels.None];

    public static TheoryData<string> Levels => new(AllLevels);

    protected abstract BrokerFactory Broker { get; }

    /// <summary>Whether this class runs the level at all (a broker made for one level covers only that one).</summary>
    protected virtual bool Covers(string level) => true;

    protected virtual HttpClient ClientFor(string tenant) => Broker.ClientFor(tenant);

    /// <summary>A sandbox at the level, or null where the level is not covered or not offered (which the catalog must explain).</summary>
    protected async Task<(HttpClient Client, SandboxDto Sandbox)?> SandboxAtAsync(string tenant, string level)
    {
        if (!Covers(level))
        {
            return null;
        }
        var entry = Broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == level);
        Assert.False(string.IsNullOrWhiteSpace(entry.Reason));
        if (!entry.Available)
        {
            return null;
        }
        var client = ClientFor($"{tenant}-{level}");
        var sandbox = await client.CreateSandboxAsync(new { isolation = level });
        Assert.Equal(level, sandbox.Isolation);
        return (client, sandbox);
    }
}

/// <summary>A broker with the operator-only "none" level switched on (and short stream keep-alives), for the tenants these tests make.</summary>
public sealed class NoneLevelBrokerFixture : IAsyncLifetime
{
    public const string LayeredTemplate = "layered";

    public RedisServerFixture Redis { get; } = new();

    public BrokerFactory Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        Broker = new BrokerFactory(Redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:EnableNoneLevel"] = "true",
            // Short, so a second of silence shows keep-alives (NoneLevelStreamedExecTests).
            ["SandboxBroker:StreamKeepAlive"] = "00:00:00.200",
            // A template with a root layer, which the none level cannot mount (NoneLevelTemplateTests).
            [$"SandboxBroker:Templates:{LayeredTemplate}:RootLayer"] = AppContext.BaseDirectory,
        });
        _ = Broker.Server;
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Redis.DisposeAsync();
    }

    public HttpClient ClientFor(string tenant)
    {
        Broker.Policies.Set(FakePolicies.Default(tenant) with { SandboxIsolationLevels = [IsolationLevels.None] });
        return Broker.ClientFor(tenant);
    }
}

[CollectionDefinition(Name)]
public sealed class NoneLevelBrokerCollection : ICollectionFixture<NoneLevelBrokerFixture>
{
    public const string Name = "none-level-broker";
}
