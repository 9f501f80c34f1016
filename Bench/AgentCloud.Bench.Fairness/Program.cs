using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using AgentCloud.Bench.Fairness;
using AgentCloud.InferenceRouter.Scheduling;
using System.Globalization;

// Noisy neighbour on the simulator: the router's own scheduler (FairScheduler) in front of a real ModelSimulator with
// as many slots as the scheduler admits at once. A light tenant runs alone, then beside a tenant sending 10x its load;
// FIFO and the fair queue are compared in the same run. Then two equally weighted tenants stay backlogged, and Jain's
// index of their normalised service is printed.
var lightRequests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
const int slots = 4;
const int reservedSlots = 1;
const int maxTokens = 10;
using var simulator = new SimulatorServer(slots, tpotMs: 2);
using var http = new HttpClient { BaseAddress = new Uri(simulator.BaseUrl) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorServer.ApiKey);

async Task<double> CallAsync(FairScheduler scheduler, string tenant, CancellationToken ct)
{
    var sw = Stopwatch.StartNew();
    using var lease = await scheduler.AcquireAsync(new SchedulingRequest(tenant, 1, Lane.Interactive, 20 + maxTokens), ct);
    using var body = new StringContent($$"""{"model":"sim-small","max_tokens":{{maxTokens}},"messages":[{"role":"user","content":"{{tenant}} {{Guid.NewGuid():N}}"}]}""", Encoding.UTF8, "application/json");
    using var response = await http.PostAsync("/v1/chat/completions", body, ct);
    response.EnsureSuccessStatusCode();
    lease.Complete(20 + maxTokens);
    return sw.Elapsed.TotalMilliseconds;
}

// The light tenant sends one call at a time with a short pause; the heavy one keeps 10 calls in flight at all times.
async Task<double[]> LightTenantAsync(FairScheduler scheduler, bool withNeighbour)
{
    using var stop = new CancellationTokenSource();
    var heavy = withNeighbour
        ? Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { await CallAsync(scheduler, "heavy", stop.Token); } catch (OperationCanceledException) { }
            }
        })).ToArray()
        : [];
    await Task.Delay(withNeighbour ? 200 : 0);
    var latencies = new List<double>();
    for (var i = 0; i < lightRequests; i++)
    {
        latencies.Add(await CallAsync(scheduler, "light", CancellationToken.None));
        await Task.Delay(5);
    }
    await stop.CancelAsync();
    await Task.WhenAll(heavy);
    return [.. latencies.Order()];
}

static double P(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
FairScheduler NewScheduler(SchedulingPolicy policy) =>
    new(new FairSchedulerOptions { MaxInFlight = slots, ReservedSlots = reservedSlots, MaxQueuedPerTenant = 1000, MaxWait = TimeSpan.FromMinutes(5), Policy = policy }, TimeProvider.System);

await LightTenantAsync(NewScheduler(SchedulingPolicy.Fair), false); // warm-up
Console.WriteLine($"Noisy neighbour on the simulator ({slots} slots, {reservedSlots} kept by the fair queue for tenants with nothing in flight, {maxTokens} output tokens a call, {lightRequests} light calls per phase)");
Console.WriteLine($"{"policy",-8} {"alone p50",10} {"alone p99",10} {"beside p50",11} {"beside p99",11} {"p99 ratio",10}");
foreach (var policy in new[] { SchedulingPolicy.Fifo, SchedulingPolicy.Fair })
{
    var alone = await LightTenantAsync(NewScheduler(policy), false);
    var beside = await LightTenantAsync(NewScheduler(policy), true);
    Console.WriteLine($"{policy,-8} {P(alone, .5),10:0.0} {P(alone, .99),10:0.0} {P(beside, .5),11:0.0} {P(beside, .99),11:0.0} {P(beside, .99) / P(alone, .99),10:0.00}");
}

// What the reserved slot costs: a heavy tenant alone, 10 calls outstanding, for 3 s under each policy.
foreach (var policy in new[] { SchedulingPolicy.Fifo, SchedulingPolicy.Fair })
{
    var scheduler = NewScheduler(policy);
    var calls = 0;
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
    await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try { await CallAsync(scheduler, "heavy", stop.Token); Interlocked.Increment(ref calls); } catch (OperationCanceledException) { }
        }
    })));
    Console.WriteLine($"{policy,-8} a heavy tenant alone: {calls / 3.0,6:0.0} calls/s");
}

// Jain's index over two backlogged tenants of equal weight (1.0 is perfectly fair).
var fair = NewScheduler(SchedulingPolicy.Fair);
using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
{
    var clients = new[] { ("a", 8), ("b", 3) }.SelectMany(t => Enumerable.Range(0, t.Item2).Select(_ => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try { await CallAsync(fair, t.Item1, stop.Token); } catch (OperationCanceledException) { }
        }
    }))).ToArray();
    await Task.WhenAll(clients);
}
var served = fair.ServedByTenant().Values.ToArray();
var jain = Math.Pow(served.Sum(), 2) / (served.Length * served.Sum(x => x * x));
Console.WriteLine($"Jain's fairness index, two backlogged tenants (8 vs 3 clients), fair queue: {jain:0.0000} (served {string.Join(" / ", served.Select(s => s.ToString("0", CultureInfo.InvariantCulture)))})");
