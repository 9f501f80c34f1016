using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.InferenceRouter.Tests.Hosting;

/// <summary>
/// Real Redis, a shared pool of two simulators, one tenant's own dedicated simulator, an enterprise-tier dedicated
/// pool of two, a slow simulator on a fake clock (for streaming), and three routers: the real one over all of them; and,
/// for the side-channel tests, two that differ only in cache salting, each in front of one shared simulator of its
/// own (so attacker and victim surely share an instance): <see cref="IsolatedRouter"/> and <see cref="NaiveRouter"/>.
/// </summary>
public sealed class RouterPlatform : IAsyncLifetime
{
    public const string OwnEndpointTenant = "ent-with-own-endpoint";
    public static readonly string[] Models = ["sim-small", "sim-large"];

    public RedisServerFixture Redis { get; } = new();
    public FixedPolicies Policies { get; } = new();
    public FakeTimeProvider SlowClock { get; } = new();
    public RouterHost Router { get; private set; } = null!;
    public RouterHost IsolatedRouter { get; private set; } = null!;
    public RouterHost NaiveRouter { get; private set; } = null!;
    private readonly List<IDisposable> _hosts = [];

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        var slow = new Dictionary<string, string?> { ["ModelSimulator:BaseTtftMs"] = "0", ["ModelSimulator:PrefillMsPerToken"] = "0", ["ModelSimulator:CachedPrefillMsPerToken"] = "0", ["ModelSimulator:TpotMs"] = "1000" };
        var endpoints = new List<EndpointSpec>
        {
            new("shared-0", Sim("shared-0")),
            new("shared-1", Sim("shared-1")),
            new("dedicated-own", Sim("dedicated-own"), "dedicated", TenantId: OwnEndpointTenant),
            new("enterprise-pool-0", Sim("enterprise-pool-0"), "dedicated", Tier: "enterprise"),
            new("enterprise-pool-1", Sim("enterprise-pool-1"), "dedicated", Tier: "enterprise"),
            new("slow-shared", Sim("slow-shared", ["sim-slow"], slow, SlowClock)),
        };
        // These tests are about what the ledger decides, not about a slow store: on a busy 2-core host 64 concurrent
        // admissions can outlast the production 200 ms ledger deadline (the fault tests keep that deadline).
        var patientLedger = new Dictionary<string, string?> { ["InferenceRouter:LedgerDeadline"] = "00:00:05" };
        Router = Track(new RouterHost(Redis.ConnectionString, Policies, endpoints, extraSettings: patientLedger));
        IsolatedRouter = Track(new RouterHost(Redis.ConnectionString, Policies, [new("isolated-shared", Sim("isolated-shared"))]));
        NaiveRouter = Track(new RouterHost(Redis.ConnectionString, Policies, [new("naive-shared", Sim("naive-shared"))], cacheSalting: "Disabled"));
    }

    private SimulatorHost Sim(string name, string[]? models = null, Dictionary<string, string?>? settings = null, TimeProvider? time = null) =>
        Track(new SimulatorHost(name, models ?? Models, settings, time));

    private T Track<T>(T host) where T : IDisposable
    {
        _hosts.Add(host);
        return host;
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
public sealed class RouterCollection : ICollectionFixture<RouterPlatform>
{
    public const string Name = "router platform";
}
