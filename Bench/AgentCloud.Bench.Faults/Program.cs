using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_AGENTCLOUD_MODELSIMULATOR", AppContext.BaseDirectory);
Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_AGENTCLOUD_INFERENCEROUTER", AppContext.BaseDirectory);
Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Error");

var faultSeconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
var data = Directory.CreateTempSubdirectory("agentcloud-bench-faults-").FullName;
await using var redis = new RedisServerFixture { DataDirectory = data }; // survives the kill: what is lost is the router's doing
await redis.InitializeAsync();
var policies = new FixedPolicies();
using var simulator = new SimulatorHost("faults", ["sim-small"]);
using var router = new RouterHost(redis.ConnectionString, policies, [new EndpointSpec("faults-shared", simulator)], extraSettings: new Dictionary<string, string?>
{
    ["InferenceRouter:LedgerReconcileInterval"] = "00:00:00.200",
    ["Outbox:RetryInterval"] = "00:00:00.200",
});

// Warm-up: JIT, connections and the ledger script, so the first fault does not also measure a cold process.
using (var warm = router.ClientFor(Tenant("open")))
{
    await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
    {
        for (var i = 0; i < 10; i++)
        {
            using var r = await warm.PostAsync("/v1/chat/completions", new StringContent(
                """{"model":"sim-small","messages":[{"role":"user","content":"warm up"}],"max_tokens":5}""", Encoding.UTF8, "application/json"));
        }
    }));
}

var faults = new (string Name, Func<Task> Inject, Func<Task> Recover)[]
{
    ($"redis frozen {faultSeconds} s", redis.PauseAsync, redis.ResumeAsync),
    ($"redis killed, restarted after {faultSeconds} s", () => redis.StopAsync(), redis.StartAsync),
};
Console.WriteLine($"Faults under traffic: 8 callers, 3 fail-open and 3 fail-closed tenants, router + simulator + redis-server on 127.0.0.1");
Console.WriteLine($"{"fault",-36} {"served",7} {"refused",8} {"failed",7} {"lost",5} {"doubled",8} {"dup entries",12} {"slowest ms",11} {"recovery ms",12}");
foreach (var (name, inject, recover) in faults)
{
    var tenants = Enumerable.Range(0, 6).Select(i => Tenant(i < 3 ? "open" : "closed")).ToList();
    var outcomes = new ConcurrentBag<(TenantContext Tenant, HttpStatusCode? Status, bool RetryAfter, double Ms, DateTimeOffset At)>();
    using var stop = new CancellationTokenSource();
    var callers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
    {
        var n = i;
        while (!stop.IsCancellationRequested)
        {
            var tenant = tenants[n++ % tenants.Count];
            using var client = router.ClientFor(tenant);
            client.Timeout = TimeSpan.FromSeconds(10);
            var clock = Stopwatch.StartNew();
            try
            {
                using var response = await client.PostAsync("/v1/chat/completions", new StringContent(
                    """{"model":"sim-small","messages":[{"role":"user","content":"steady traffic"}],"max_tokens":5}""", Encoding.UTF8, "application/json"));
                await response.Content.ReadAsByteArrayAsync();
                outcomes.Add((tenant, response.StatusCode, response.Headers.RetryAfter is not null, clock.Elapsed.TotalMilliseconds, DateTimeOffset.UtcNow));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                outcomes.Add((tenant, null, false, clock.Elapsed.TotalMilliseconds, DateTimeOffset.UtcNow));
            }
        }
    })).ToList();

    await Task.Delay(TimeSpan.FromSeconds(2));
    var injectedAt = DateTimeOffset.UtcNow;
    await inject();
    await Task.Delay(TimeSpan.FromSeconds(faultSeconds));
    await recover();
    var recoveredAt = DateTimeOffset.UtcNow;
    await Task.Delay(TimeSpan.FromSeconds(3));
    await stop.CancelAsync();
    await Task.WhenAll(callers);

    var served = outcomes.Count(o => o.Status == HttpStatusCode.OK && o.Ms < 2000);
    var refused = outcomes.Count(o => o.Status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests && o.RetryAfter && o.Ms < 2000);
    var failed = outcomes.Count - served - refused;
    var firstClosedServed = outcomes.Where(o => o.At >= recoveredAt && o.Status == HttpStatusCode.OK && o.Tenant.Tier == "free").Select(o => o.At).DefaultIfEmpty(recoveredAt).Min();
    // Every served call's event is in the stream once Redis is back and the spool has drained.
    var ids = tenants.Select(t => t.TenantId).ToHashSet();
    List<UsageEvent> events = [];
    var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
    while (DateTimeOffset.UtcNow < deadline)
    {
        events = (await redis.Connection.GetDatabase().StreamRangeAsync(UsageEvent.StreamName))
            .Select(e => UsageEvent.FromStreamFields(e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()), out _))
            .Where(e => e is not null && ids.Contains(e.TenantId) && e.Status == "ok").Select(e => e!).ToList();
        if (events.Select(e => e.EventId).Distinct().Count() >= outcomes.Count(o => o.Status == HttpStatusCode.OK))
        {
            break;
        }
        await Task.Delay(200);
    }
    if (Environment.GetEnvironmentVariable("BENCH_FAULTS_VERBOSE") == "1")
    {
        foreach (var o in outcomes.Where(o => !(o.Status == HttpStatusCode.OK && o.Ms < 2000)).OrderBy(o => o.At))
        {
            Console.WriteLine($"  {o.Tenant.Tier} {(int?)o.Status} retry-after={o.RetryAfter} {o.Ms:F0} ms, ended {(o.At - injectedAt).TotalMilliseconds:F0} ms after the fault");
        }
    }
    var distinct = events.Select(e => e.EventId).Distinct().Count();
    var okCalls = outcomes.Count(o => o.Status == HttpStatusCode.OK);
    Console.WriteLine($"{name,-36} {served,7} {refused,8} {failed,7} {Math.Max(0, okCalls - distinct),5} {Math.Max(0, distinct - okCalls),8} {events.Count - distinct,12} {outcomes.Max(o => o.Ms),11:F0} {(firstClosedServed - recoveredAt).TotalMilliseconds,12:F0}");
}
Console.WriteLine("served/refused: answered within 2 s (refused = 503 or 429 with Retry-After); failed: anything else; lost/doubled: served calls");
Console.WriteLine("without / with more than one distinct usage event; dup entries: stream entries repeated under one event id (consumers count one).");
Directory.Delete(data, recursive: true);

TenantContext Tenant(string failMode)
{
    var tenant = policies.Add(failMode == "open" ? "pro" : "free");
    policies.Change(tenant.TenantId, p => p with { RateLimitFailMode = AgentCloud.Platform.Contracts.WireNames.Parse<AgentCloud.Platform.Contracts.RateLimitFailMode>(failMode), TokensPerMinute = 0, MonthlyTokenQuota = 100_000_000 });
    return tenant;
}
