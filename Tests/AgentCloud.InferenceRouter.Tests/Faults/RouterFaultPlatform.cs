using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Tests.Shared;

namespace AgentCloud.InferenceRouter.Tests.Faults;

/// <summary>
/// A Redis of its own (the fault tests freeze and kill it), a simulator, and a router with short ledger timings so a
/// test sees reconciliation and renewal within seconds.
/// </summary>
public sealed class RouterFaultPlatform : IAsyncLifetime
{
    public RedisServerFixture Redis { get; } = new();
    public FixedPolicies Policies { get; } = new();
    public SimulatorHost Simulator { get; private set; } = null!;
    public SimulatorHost SlowSimulator { get; private set; } = null!;
    public RouterHost Router { get; private set; } = null!;

    public static readonly Dictionary<string, string?> FaultSettings = new()
    {
        ["InferenceRouter:LedgerReconcileInterval"] = "00:00:00.200",
        ["InferenceRouter:ReservationTtl"] = "00:00:02",
        ["Outbox:RetryInterval"] = "00:00:00.200",
    };

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        Simulator = new SimulatorHost("fault-fast", ["sim-small"]);
        // 300 ms a token: a 12-token answer takes about 4 s, twice the hold's lifetime.
        SlowSimulator = new SimulatorHost("fault-slow", ["sim-slow"], new() { ["ModelSimulator:BaseTtftMs"] = "0", ["ModelSimulator:TpotMs"] = "300" });
        Router = NewRouter();
    }

    public RouterHost NewRouter(IReadOnlyDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(FaultSettings);
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }
        return new RouterHost(Redis.ConnectionString, Policies,
            [new EndpointSpec("fault-fast", Simulator), new EndpointSpec("fault-slow", SlowSimulator)], extraSettings: settings);
    }

    public async Task DisposeAsync()
    {
        await Redis.ResumeAsync();
        Router.Dispose();
        Simulator.Dispose();
        SlowSimulator.Dispose();
        await Redis.DisposeAsync();
    }
}
