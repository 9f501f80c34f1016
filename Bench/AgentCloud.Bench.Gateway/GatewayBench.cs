using AgentCloud.Platform.Contracts;
using System.Globalization;

namespace AgentCloud.Bench.Gateway;

/// <summary>The same trivial upstream called directly, through nginx (a plain proxy) and through the Gateway with
/// authentication and Redis rate limiting on (a limit high enough never to refuse). All on 127.0.0.1, bounded in time.</summary>
internal static class GatewayBench
{
    public static async Task Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "flood")
        {
            await FloodBench.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15);
            return;
        }
        const int latencyCalls = 3000, concurrency = 32;
        var throughputFor = TimeSpan.FromSeconds(args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8);
        const string apiKey = "ac_benchtenant1_0123456789abcdefABCDEF0123456789abcdefAB";
        const string unlimitedKey = "ac_benchnolimit_0123456789abcdefABCDEF0123456789abcdefAB";

        await using var redis = new BenchRedis();
        await redis.StartAsync();
        var (upstreamApp, upstreamUrl) = await TrivialUpstream.StartModelsAsync();
        var resolved = new ResolvedKey("key_bench", "bench", "enterprise", "key:key_bench", ["inference"], null,
            new TenantPolicy { TenantId = "bench", Tier = "enterprise", RequestsPerMinute = 100_000_000, RequestBurst = 100_000_000, RateLimitFailMode = RateLimitFailMode.Closed });
        // A second tenant without a request limit separates the cost of the Redis decision from the rest.
        var unlimited = resolved with { KeyId = "key_unlimited", TenantId = "bench-unlimited", Policy = resolved.Policy with { TenantId = "bench-unlimited", RequestsPerMinute = 0 } };
        var (resolverApp, resolverUrl) = await TrivialUpstream.StartKeyResolverAsync(
            new Dictionary<string, ResolvedKey> { [apiKey] = resolved, [unlimitedKey] = unlimited });

        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Gateway:AdminKey"] = "bench-admin-key-0123456789abcdef",
            ["Gateway:SigningKeySeed"] = "bench-signing-seed-0123456789abcdef",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Services:controlplane:http:0"] = resolverUrl,
            ["Services:inference-router:http:0"] = upstreamUrl,
        };
        await using var gateway = new GatewayUnderTest(settings);
        await using var nginx = new NginxProxy();
        await nginx.StartAsync(new Uri(upstreamUrl));
        var (bareApp, bareUrl) = await BareProxy.StartAsync(upstreamUrl);

        using var direct = new LoadRunner("direct", upstreamUrl.TrimEnd('/') + "/v1/models", apiKey);
        using var viaNginx = new LoadRunner("nginx", nginx.Url + "/v1/models", apiKey);
        using var viaGateway = new LoadRunner("gateway", gateway.Url.TrimEnd('/') + "/v1/models", apiKey);
        using var viaGatewayNoLimit = new LoadRunner("gw-noRL", gateway.Url.TrimEnd('/') + "/v1/models", unlimitedKey);
        using var viaBareYarp = new LoadRunner("yarp", bareUrl.TrimEnd('/') + "/v1/models", apiKey);
        LoadRunner[] targets = [direct, viaNginx, viaGateway, viaGatewayNoLimit, viaBareYarp];

        Console.WriteLine($"Gateway benchmark: {latencyCalls} sequential calls per target, then {concurrency} concurrent callers for {throughputFor.TotalSeconds:0} s; {Environment.ProcessorCount} cores");
        foreach (var t in targets)
        {
            // The first calls open connections and load the rate-limit script; give them a few tries.
            var up = false;
            for (var attempt = 0; attempt < 20 && !up; attempt++)
            {
                up = await t.CallAsync() || await Task.Delay(100).ContinueWith(_ => false);
            }
            if (!up)
            {
                throw new InvalidOperationException($"{t.Name} does not answer 200: {string.Join(", ", t.FailuresByStatus)} ({redis.ExitReport()})");
            }
            await t.ThroughputAsync(concurrency, TimeSpan.FromSeconds(2));
            t.FailuresByStatus.Clear();
        }

        var latency = new Dictionary<string, LatencyResult>();
        foreach (var t in targets)
        {
            latency[t.Name] = await t.LatencyAsync(latencyCalls);
        }
        var throughput = new Dictionary<string, ThroughputResult>();
        var allocated = new Dictionary<string, double>();
        foreach (var t in targets)
        {
            // Bytes this process allocated per call (client, upstream and the proxy under test all live here; nginx does not):
            // unlike requests per second, it does not move with the machine's other load.
            var before = GC.GetTotalAllocatedBytes(precise: true);
            throughput[t.Name] = await t.ThroughputAsync(concurrency, throughputFor);
            allocated[t.Name] = (GC.GetTotalAllocatedBytes(precise: true) - before) / Math.Max(1, throughput[t.Name].RequestsPerSecond * throughputFor.TotalSeconds);
        }

        Console.WriteLine();
        Console.WriteLine($"{"target",-8} {"p50 ms",8} {"p99 ms",8} {"rps c=32",10} {"errors",7} {"B/call",7}");
        foreach (var t in targets)
        {
            var l = latency[t.Name];
            var r = throughput[t.Name];
            Console.WriteLine($"{t.Name,-8} {l.P50Ms,8:0.000} {l.P99Ms,8:0.000} {r.RequestsPerSecond,10:0} {l.Errors + r.Errors,7} {allocated[t.Name],7:0}");
        }
        foreach (var t in targets.Where(t => !t.FailuresByStatus.IsEmpty))
        {
            Console.WriteLine($"{t.Name} failures by status: {string.Join(", ", t.FailuresByStatus.Select(f => $"{f.Key}: {f.Value}"))}");
        }
        Console.WriteLine();
        var addedP50 = latency["gateway"].P50Ms - latency["direct"].P50Ms;
        var addedP99 = latency["gateway"].P99Ms - latency["direct"].P99Ms;
        var nginxAddedP50 = latency["nginx"].P50Ms - latency["direct"].P50Ms;
        var vsNginx = throughput["gateway"].RequestsPerSecond / throughput["nginx"].RequestsPerSecond;
        var vsDirect = throughput["gateway"].RequestsPerSecond / throughput["direct"].RequestsPerSecond;
        Console.WriteLine($"c=1  gateway added latency over direct: p50 {addedP50:+0.000;-0.000} ms, p99 {addedP99:+0.000;-0.000} ms (nginx adds p50 {nginxAddedP50:+0.000;-0.000} ms, yarp {latency["yarp"].P50Ms - latency["direct"].P50Ms:+0.000;-0.000} ms)  target p50 <= 0.2 ms: {(addedP50 <= 0.2 ? "met" : "MISSED")}");
        Console.WriteLine($"c=32 gateway / nginx rps = {vsNginx:0.00}  target >= 0.80: {(vsNginx >= 0.8 ? "met" : "MISSED")}");
        Console.WriteLine($"c=32 gateway / direct rps = {vsDirect:0.00}");
        Console.WriteLine($"c=32 yarp / nginx rps = {throughput["yarp"].RequestsPerSecond / throughput["nginx"].RequestsPerSecond:0.00}  gateway / yarp rps = {throughput["gateway"].RequestsPerSecond / throughput["yarp"].RequestsPerSecond:0.00}");
        Console.WriteLine("(gw-noRL: the Gateway with authentication but a tenant without a request limit, to show what the Redis decision costs;");
        Console.WriteLine(" yarp: a slim Kestrel host forwarding with YARP and deciding nothing, the ceiling of any Gateway built on them)");

        await bareApp.DisposeAsync();
        await upstreamApp.DisposeAsync();
        await resolverApp.DisposeAsync();
    }
}
