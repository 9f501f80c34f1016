using AgentCloud.Bench.Cache;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Tests.Shared;

// Outside a test project the factories need to be told where the services' content roots are; they have no files there.
Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_AGENTCLOUD_MODELSIMULATOR", AppContext.BaseDirectory);
Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_AGENTCLOUD_INFERENCEROUTER", AppContext.BaseDirectory);
Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");

const int Tenants = 8, Prompts = 4, Concurrency = 8;
int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], System.Globalization.CultureInfo.InvariantCulture) : fallback;
var replicas = Arg(0, 3);
var repeats = Arg(1, 16);
if (replicas is < 2 or > 4 || repeats is < 2 or > 64)
{
    Console.Error.WriteLine("usage: AgentCloud.Bench.Cache [replicas 2..4, default 3] [questions per agent prompt 2..64, default 16]");
    return 2;
}

// A prefill-dominated latency model: an uncached 800-token prompt costs 40 ms before its first token, a cached one about 1 ms.
var latency = new Dictionary<string, string?>
{
    ["ModelSimulator:BaseTtftMs"] = "2", ["ModelSimulator:PrefillMsPerToken"] = "0.05",
    ["ModelSimulator:CachedPrefillMsPerToken"] = "0.001", ["ModelSimulator:TpotMs"] = "1", ["ModelSimulator:Slots"] = "8",
};
await using var redis = new RedisServerFixture();
await redis.InitializeAsync();
var calls = Workload.Build(Tenants, Prompts, repeats);

async Task<ScenarioResult> ScenarioAsync(string name, int pool, string strategy)
{
    var policies = new FixedPolicies();
    var tenants = Enumerable.Range(0, Tenants).Select(_ => policies.Add("pro")).ToList();
    var simulators = Enumerable.Range(0, pool).Select(i => new SimulatorHost($"{name}-{i}", ["sim-small"], latency)).ToList();
    try
    {
        using var router = new RouterHost(redis.ConnectionString, policies, simulators.Select(s => new EndpointSpec(s.Instance, s)).ToList(),
            extraSettings: new Dictionary<string, string?> { ["InferenceRouter:Routing:Strategy"] = strategy, ["InferenceRouter:LedgerDeadline"] = "00:00:05" });
        return new ScenarioResult(name, pool, await ScenarioRun.RunAsync(router, tenants, calls, Concurrency));
    }
    finally
    {
        simulators.ForEach(s => s.Dispose());
    }
}

var results = new List<ScenarioResult>
{
    await ScenarioAsync("single", 1, "LeastLoaded"),
    await ScenarioAsync("least-loaded", replicas, "LeastLoaded"),
    await ScenarioAsync("cache-aware", replicas, "CacheAware"),
};

Console.WriteLine($"Cache-aware routing: {Tenants} tenants x {Prompts} shared agent prompts (~800 tokens) x {repeats} questions = {calls.Count} streamed calls per scenario, {Concurrency} in flight, 127.0.0.1");
Console.WriteLine($"{"scenario",-13} {"replicas",8} {"hit rate",9} {"TTFT ms measured",17} {"TTFT ms modelled",17} {"max load/mean",14}  calls per replica");
foreach (var r in results)
{
    Console.WriteLine($"{r.Name,-13} {r.Replicas,8} {r.HitRate,9:F3} {r.MeanTtftMs,17:F1} {r.MeanModelledTtftMs,17:F1} {r.MaxLoadOverMean,14:F2}  {string.Join(' ', r.PerReplica.Values)}");
}
var single = results[0];
var aware = results[2];
Console.WriteLine($"cache-aware hit rate / single replica: {aware.HitRate / single.HitRate:F2} (target >= 0.90); busiest replica / mean: {aware.MaxLoadOverMean:F2} (target <= 1.25)");
return 0;
