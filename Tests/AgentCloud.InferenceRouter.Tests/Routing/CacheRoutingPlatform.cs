using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.InferenceRouter.Tests.Routing;

/// <summary>
/// Real Redis, a shared pool of two simulators of its own and a router with the default (cache-aware) routing. The
/// simulators run on a fake clock with one second per output token and no prefill time: a one-token answer returns at
/// once, a longer stream stays in flight until a test moves the clock, which is how a test holds a replica busy.
/// </summary>
public sealed class CacheRoutingPlatform : IAsyncLifetime
{
    public static readonly string[] Replicas = ["cache-0", "cache-1"];

    public RedisServerFixture Redis { get; } = new();
    public FixedPolicies Policies { get; } = new();
    public FakeTimeProvider Clock { get; } = new();
    public RouterHost Router { get; private set; } = null!;
    private readonly List<IDisposable> _hosts = [];

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        var stepped = new Dictionary<string, string?>
        {
            ["ModelSimulator:BaseTtftMs"] = "0", ["ModelSimulator:PrefillMsPerToken"] = "0", ["ModelSimulator:CachedPrefillMsPerToken"] = "0",
            ["ModelSimulator:TpotMs"] = "1000",
        };
        var endpoints = Replicas.Select(name =>
        {
            var simulator = new SimulatorHost(name, ["sim-small"], stepped, Clock);
            _hosts.Add(simulator);
            return new EndpointSpec(name, simulator);
        }).ToList();
        Router = new RouterHost(Redis.ConnectionString, Policies, endpoints, extraSettings: new Dictionary<string, string?> { ["InferenceRouter:LedgerDeadline"] = "00:00:05" });
        _hosts.Add(Router);
    }

    public async Task DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            host.Dispose();
        }
        await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class CacheRoutingCollection : ICollectionFixture<CacheRoutingPlatform>
{
    public const string Name = "cache routing platform";
}
