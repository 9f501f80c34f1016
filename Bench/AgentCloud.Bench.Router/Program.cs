using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Tests.Shared;

// Outside a test project the factories need to be told where the services' content roots are; they have no files there.
Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_AGENTCLOUD_MODELSIMULATOR", AppContext.BaseDirectory);
Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_AGENTCLOUD_INFERENCEROUTER", AppContext.BaseDirectory);
// Per-request console logging would cost more than the router itself.
Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");

// The simulator's latency model is set to zero so that what is measured is HTTP, JSON and the router's own work.
var zeroLatency = new Dictionary<string, string?>
{
    ["ModelSimulator:BaseTtftMs"] = "0", ["ModelSimulator:PrefillMsPerToken"] = "0",
    ["ModelSimulator:CachedPrefillMsPerToken"] = "0", ["ModelSimulator:TpotMs"] = "0", ["ModelSimulator:Slots"] = "256",
};
await using var redis = new RedisServerFixture();
await redis.InitializeAsync();
var policies = new FixedPolicies();
using var simulator = new SimulatorHost("bench", ["sim-small"], zeroLatency);
using var router = new RouterHost(redis.ConnectionString, policies, [new EndpointSpec("bench-shared", simulator)]);
var tenant = policies.Add("pro");

using var direct = new HttpClient { BaseAddress = new Uri(simulator.BaseUrl + "/") };
direct.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorHost.ApiKey);
using var routed = router.ClientFor(tenant);
await using var plainHop = await PlainHop.StartAsync(simulator.BaseUrl, SimulatorHost.ApiKey);
using var hopped = new HttpClient { BaseAddress = new Uri(plainHop.BaseUrl) };
const string Body = """{"model":"sim-small","messages":[{"role":"user","content":"Summarise the quarterly report in three sentences."}],"max_tokens":16}""";

async Task<double> OnceAsync(HttpClient client, string path)
{
    var started = Stopwatch.GetTimestamp();
    using var response = await client.PostAsync(path, new StringContent(Body, Encoding.UTF8, "application/json"));
    await response.Content.ReadAsByteArrayAsync();
    response.EnsureSuccessStatusCode();
    return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}

var cpu = new CpuClock(redis.Port);

async Task<(double P50, double PerSecond, double CpuUsPerCall)> RunAsync(HttpClient client, string path, int concurrency, int requests)
{
    for (var i = 0; i < 20; i++) await OnceAsync(client, path);  // warm-up: connections, JIT
    var latencies = new List<double>();
    var cpuBefore = cpu.Seconds();
    var remaining = requests;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        while (Interlocked.Decrement(ref remaining) >= 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            var ms = await OnceAsync(client, path);
            lock (latencies) latencies.Add(ms);
        }
    }));
    var cpuSeconds = cpu.Seconds() - cpuBefore;
    latencies.Sort();
    return (latencies[latencies.Count / 2], latencies.Count / clock.Elapsed.TotalSeconds, cpuSeconds * 1e6 / latencies.Count);
}

Console.WriteLine("Router overhead: non-streaming chat, simulator latency model at zero, 127.0.0.1, same run baseline");
// A plain pass-through hop is measured too: it bounds what any router can reach here (see PlainHop). CPU per call
// (this process, which hosts all of them, plus redis-server) is what a busy neighbour on the machine does not change.
Console.WriteLine($"{"concurrency",11} {"direct p50 ms",14} {"hop p50 ms",11} {"router p50 ms",14} {"added p50 ms",13} {"direct req/s",13} {"hop req/s",10} {"router req/s",13} {"hop/direct",11} {"router/direct",14} {"router/hop",11} {"CPU µs/call direct",19} {"hop",6} {"router",7}");
// Optional argument: how many rounds to run (each round measures both concurrencies again), so a noisy host's figures can be repeated.
var rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1;
foreach (var (concurrency, requests) in Enumerable.Repeat(new[] { (1, 300), (32, 1600) }, rounds).SelectMany(r => r))
{
    var baseline = await RunAsync(direct, "chat/completions", concurrency, requests);
    var hop = await RunAsync(hopped, "/v1/chat/completions", concurrency, requests);
    var through = await RunAsync(routed, "/v1/chat/completions", concurrency, requests);
    Console.WriteLine($"{concurrency,11} {baseline.P50,14:F2} {hop.P50,11:F2} {through.P50,14:F2} {through.P50 - baseline.P50,13:F2} {baseline.PerSecond,13:F0} {hop.PerSecond,10:F0} {through.PerSecond,13:F0} "
        + $"{hop.PerSecond / baseline.PerSecond,11:F2} {through.PerSecond / baseline.PerSecond,14:F2} {through.PerSecond / hop.PerSecond,11:F2} "
        + $"{baseline.CpuUsPerCall,19:F0} {hop.CpuUsPerCall,6:F0} {through.CpuUsPerCall,7:F0}");
}
