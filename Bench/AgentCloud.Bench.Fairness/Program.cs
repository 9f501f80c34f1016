using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using AgentCloud.Bench.Fairness;
using AgentCloud.InferenceRouter.Scheduling;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Logging;

// Noisy neighbour on the simulator: the router's own scheduler (FairScheduler) in front of a real ModelSimulator with
// as many slots as the scheduler admits at once. A light tenant runs alone, then beside a tenant sending 10x its load;
// FIFO and the fair queue are compared in the same run. Then two equally weighted tenants stay backlogged, and Jain's
// index of their normalised service is printed. Every figure is given for one router and for two router replicas in
// front of the same simulator (calls split round-robin): sharing slots and counters through a real Redis, and, for
// contrast, each keeping its state per process as before.
var lightRequests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
const int slots = 4;
const int reservedSlots = 1;
const int maxTokens = 10;
using var simulator = new SimulatorServer(slots, tpotMs: 2);
using var http = new HttpClient { BaseAddress = new Uri(simulator.BaseUrl) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorServer.ApiKey);
var redis = new RedisServerFixture();
await redis.InitializeAsync();
using var logs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
var inFlight = 0;
var maxInFlight = 0;
var phase = 0;

async Task<double> CallAsync(RouterFront front, string tenant, CancellationToken ct)
{
    var sw = Stopwatch.StartNew();
    using var lease = await front.Next().AcquireAsync(new SchedulingRequest(tenant, 1, Lane.Interactive, 20 + maxTokens), ct);
    var now = Interlocked.Increment(ref inFlight);
    try
    {
        for (var seen = Volatile.Read(ref maxInFlight); now > seen; seen = Volatile.Read(ref maxInFlight))
        {
            Interlocked.CompareExchange(ref maxInFlight, now, seen);
        }
        using var body = new StringContent($$"""{"model":"sim-small","max_tokens":{{maxTokens}},"messages":[{"role":"user","content":"{{tenant}} {{Guid.NewGuid():N}}"}]}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v1/chat/completions", body, ct);
        response.EnsureSuccessStatusCode();
    }
    finally
    {
        Interlocked.Decrement(ref inFlight);
    }
    lease.Complete(20 + maxTokens);
    return sw.Elapsed.TotalMilliseconds;
}

async Task LoopAsync(RouterFront front, string tenant, CancellationToken stop)
{
    while (!stop.IsCancellationRequested)
    {
        try { await CallAsync(front, tenant, stop); } catch (OperationCanceledException) { }
    }
}

// The light tenant sends one call at a time with a short pause; the heavy one keeps 10 calls in flight at all times.
async Task<double[]> LightTenantAsync(RouterFront front, bool withNeighbour)
{
    using var stop = new CancellationTokenSource();
    var heavy = withNeighbour ? Enumerable.Range(0, 10).Select(_ => Task.Run(() => LoopAsync(front, "heavy", stop.Token))).ToArray() : [];
    await Task.Delay(withNeighbour ? 200 : 0);
    var latencies = new List<double>();
    for (var i = 0; i < lightRequests; i++)
    {
        latencies.Add(await CallAsync(front, "light", CancellationToken.None));
        await Task.Delay(5);
    }
    await stop.CancelAsync();
    await Task.WhenAll(heavy);
    return [.. latencies.Order()];
}

static double P(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
FairSchedulerOptions Limits(SchedulingPolicy policy) =>
    new() { MaxInFlight = slots, ReservedSlots = reservedSlots, MaxQueuedPerTenant = 1000, MaxWait = TimeSpan.FromMinutes(5), Policy = policy };

// Each measurement gets fresh schedulers (fresh counters); shared replicas a fresh endpoint name in Redis too.
var fronts = new (string Name, SchedulingPolicy Policy, Func<SchedulingPolicy, Task<RouterFront>> Make)[]
{
    ("1 router", SchedulingPolicy.Fifo, p => Task.FromResult(RouterFront.PerProcess(Limits(p), 1))),
    ("1 router", SchedulingPolicy.Fair, p => Task.FromResult(RouterFront.PerProcess(Limits(p), 1))),
    ("2 routers, state per process", SchedulingPolicy.Fair, p => Task.FromResult(RouterFront.PerProcess(Limits(p), 2))),
    ("2 routers sharing via Redis", SchedulingPolicy.Fair, p => RouterFront.SharedAsync(redis.ConnectionString, Limits(p), 2, $"bench-{phase++}", logs)),
};

try
{
    await using (var warm = await fronts[3].Make(SchedulingPolicy.Fair))
    {
        await LightTenantAsync(warm, true); // warm-up: JIT, connections, the heartbeat script
    }
    Console.WriteLine($"Noisy neighbour on the simulator ({slots} slots, {reservedSlots} kept by the fair queue for tenants with nothing in flight, {maxTokens} output tokens a call, {lightRequests} light calls per phase)");
    Console.WriteLine($"{"routers",-30} {"policy",-6} {"alone p50",10} {"alone p99",10} {"beside p50",11} {"beside p99",11} {"p99 ratio",10} {"max in flight",14}");
    foreach (var (name, policy, make) in fronts)
    {
        double[] alone, beside;
        await using (var front = await make(policy))
        {
            alone = await LightTenantAsync(front, false);
        }
        maxInFlight = 0;
        await using (var front = await make(policy))
        {
            beside = await LightTenantAsync(front, true);
        }
        Console.WriteLine($"{name,-30} {policy,-6} {P(alone, .5),10:0.0} {P(alone, .99),10:0.0} {P(beside, .5),11:0.0} {P(beside, .99),11:0.0} {P(beside, .99) / P(alone, .99),10:0.00} {maxInFlight,10} of {slots}");
    }

    // What the reserved slots cost: a heavy tenant alone, 10 calls outstanding, for 3 s.
    foreach (var (name, policy, make) in fronts)
    {
        await using var front = await make(policy);
        var calls = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { await CallAsync(front, "heavy", stop.Token); Interlocked.Increment(ref calls); } catch (OperationCanceledException) { }
            }
        })));
        Console.WriteLine($"{name,-30} {policy,-6} a heavy tenant alone: {calls / 3.0,6:0.0} calls/s");
    }

    // Jain's index over two backlogged tenants of equal weight (1.0 is perfectly fair).
    foreach (var (name, policy, make) in fronts.Where(f => f.Policy == SchedulingPolicy.Fair))
    {
        await using var front = await make(policy);
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await Task.WhenAll(new[] { ("a", 8), ("b", 3) }.SelectMany(t => Enumerable.Range(0, t.Item2).Select(_ => Task.Run(() => LoopAsync(front, t.Item1, stop.Token)))));
        }
        var served = front.ServedByTenant().Values.ToArray();
        var jain = Math.Pow(served.Sum(), 2) / (served.Length * served.Sum(x => x * x));
        Console.WriteLine($"{name,-30} Jain's fairness index, two backlogged tenants (8 vs 3 clients): {jain:0.0000} (served {string.Join(" / ", served.Select(s => s.ToString("0", CultureInfo.InvariantCulture)))})");
    }
}
finally
{
    await redis.DisposeAsync();
}
