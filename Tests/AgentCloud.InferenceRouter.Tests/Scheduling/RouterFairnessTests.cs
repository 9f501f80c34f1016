using System.Collections.Concurrent;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

namespace AgentCloud.InferenceRouter.Tests.Scheduling;

/// <summary>
/// The fair queue end to end: the real router in front of one real simulator, the shared endpoint admitting one call
/// at a time so that the order in which calls finish is the order the scheduler chose. Assertions are on that order,
/// never on times. The tests run alone: their floods would starve the other collections' routers of CPU.
/// </summary>
[Collection(RouterFairnessCollection.Name)]
public sealed class RouterFairnessTests : IAsyncLifetime
{
    private const int MaxTokens = 8;
    private readonly RedisServerFixture _redis = new();
    private readonly FixedPolicies _policies = new();
    private SimulatorHost _simulator = null!;
    private RouterHost _router = null!;
    private long _sequence;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _simulator = new SimulatorHost("fair-shared", ["sim-small"], new Dictionary<string, string?> { ["ModelSimulator:TpotMs"] = "2" });
        _router = new RouterHost(_redis.ConnectionString, _policies, [new("fair-shared", _simulator)], extraSettings: new Dictionary<string, string?>
        {
            ["InferenceRouter:Scheduler:MaxInFlight"] = "1",
            ["InferenceRouter:Scheduler:MaxQueuedPerTenant"] = "500",
            ["InferenceRouter:Scheduler:MaxWait"] = "00:02:00",
        });
    }

    public async Task DisposeAsync()
    {
        _router.Dispose();
        _simulator.Dispose();
        await _redis.DisposeAsync();
    }

    private sealed record Finished(string TenantId, long Sequence);

    /// <summary>Sends the calls at once and records, for each, the global order in which it finished.</summary>
    private async Task FloodAsync(TenantContext tenant, int calls, ConcurrentQueue<Finished> finished)
    {
        using var client = _router.ClientFor(tenant);
        await Task.WhenAll(Enumerable.Range(0, calls).Select(async i =>
        {
            using var response = await Chat.PostAsync(client, Chat.Body($"{tenant.TenantId} call {i}", extra: b => b["max_tokens"] = MaxTokens));
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsStringAsync();
            finished.Enqueue(new Finished(tenant.TenantId, Interlocked.Increment(ref _sequence)));
        }));
    }

    /// <summary>How many calls of each tenant had finished at each point while both still had calls waiting.</summary>
    private static List<(int A, int B)> WhileBothBacklogged(IEnumerable<Finished> finished, string a, string b, int callsEach)
    {
        var counts = new List<(int, int)>();
        var (servedA, servedB) = (0, 0);
        foreach (var f in finished.OrderBy(f => f.Sequence))
        {
            if (f.TenantId == a) servedA++; else if (f.TenantId == b) servedB++;
            if (servedA == callsEach || servedB == callsEach) break;
            counts.Add((servedA, servedB));
        }
        return counts;
    }

    [Fact]
    public async Task Two_backlogged_equal_weight_tenants_take_turns_through_the_router()
    {
        var a = _policies.Add("pro");
        var b = _policies.Add("pro");
        var finished = new ConcurrentQueue<Finished>();
        // Open the clients' connections first, so that the measured calls all queue at once rather than as connections come up.
        await Task.WhenAll(FloodAsync(a, 30, new()), FloodAsync(b, 30, new()));

        await Task.WhenAll(FloodAsync(a, 30, finished), FloodAsync(b, 30, finished));

        var counts = WhileBothBacklogged(finished, a.TenantId, b.TenantId, 30);
        Assert.True(counts.Count >= 40, $"both tenants stayed backlogged for only {counts.Count} calls");
        // Calls cost the same, so the VTC bound of two calls' service is a difference of at most two calls, plus the one in
        // flight; on a busy host a tenant's next call can also still be in admission (policy, ledger) when its turn comes,
        // and a tenant back from an empty queue is lifted, not credited. FIFO would drift by the whole backlog (30); the
        // exact bound is proven on a fake clock in FairSchedulerTests.
        var worst = counts.Max(c => Math.Abs(c.A - c.B));
        Assert.True(worst <= 8, $"the served counts drifted {worst} calls apart: {string.Join(" ", finished.OrderBy(f => f.Sequence).Select(f => f.TenantId == a.TenantId ? "A" : "B"))}");
    }

    [Fact]
    public async Task Weights_one_and_three_share_the_endpoint_one_to_three_through_the_router()
    {
        var light = _policies.Add("pro");
        var heavy = _policies.Add("pro");
        _policies.Change(heavy.TenantId, p => p with { FairShareWeight = 3 });
        var finished = new ConcurrentQueue<Finished>();

        await Task.WhenAll(FloodAsync(light, 40, finished), FloodAsync(heavy, 40, finished));

        var counts = WhileBothBacklogged(finished, light.TenantId, heavy.TenantId, 40);
        var (servedLight, servedHeavy) = counts[^1];
        var ratio = (double)servedHeavy / servedLight;
        Assert.True(servedLight >= 8, $"the light tenant was served {servedLight} times while both were backlogged");
        Assert.InRange(ratio, 2.2, 4.0);
    }

    [Fact]
    public async Task A_light_tenant_waits_behind_at_most_the_call_in_flight_of_a_tenant_sending_ten_times_its_load()
    {
        var light = _policies.Add("pro");
        var heavy = _policies.Add("pro");
        var finished = new ConcurrentQueue<Finished>();
        var flood = FloodAsync(heavy, 60, finished);
        while (finished.Count < 3)
        {
            await Task.Delay(10);
        }

        using var client = _router.ClientFor(light);
        var overtaken = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            var sentAt = Interlocked.Read(ref _sequence);
            using var response = await Chat.PostAsync(client, Chat.Body($"light call {i}", extra: b => b["max_tokens"] = MaxTokens));
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsStringAsync();
            var doneAt = Interlocked.Increment(ref _sequence);
            overtaken.Add(finished.Count(f => f.TenantId == heavy.TenantId && f.Sequence > sentAt && f.Sequence < doneAt));
        }
        await flood;

        // Alone it would wait for nothing; beside the flood, for the heavy call already on the endpoint (and a tie at most).
        Assert.All(overtaken, n => Assert.InRange(n, 0, 2));
        Assert.True(finished.Count(f => f.TenantId == heavy.TenantId) == 60);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RouterFairnessCollection
{
    public const string Name = "router fairness, alone";
}
