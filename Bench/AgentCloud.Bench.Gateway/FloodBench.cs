using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.Bench.Gateway;

/// <summary>
/// A tenant's calls alone, then beside a flood of random well-formed keys on 64 connections (first from another address,
/// then from the tenant's own): the tenant's p50/p99 each way, what the flood got, how many key lookups it caused, and
/// how many audit rows it added. All on loopback, bounded in time.
/// </summary>
internal static class FloodBench
{
    private const int FloodConnections = 64;
    private const int TenantCallers = 4;

    public static async Task RunAsync(int seconds)
    {
        var phase = TimeSpan.FromSeconds(seconds);
        const string tenantKey = "ac_floodtenant1_0123456789abcdefABCDEF0123456789abcdefAB";
        await using var redis = new BenchRedis();
        await redis.StartAsync();
        var (upstreamApp, upstreamUrl) = await TrivialUpstream.StartModelsAsync();
        var resolved = new ResolvedKey("key_flood", "flood-tenant", "enterprise", "key:key_flood", [CapabilityCatalogue.Inference], null,
            new TenantPolicy { TenantId = "flood-tenant", Tier = "enterprise", RequestsPerMinute = 0, RateLimitFailMode = RateLimitFailMode.Closed });
        var lookups = new StrongBox();
        var (resolverApp, resolverUrl) = await TrivialUpstream.StartKeyResolverAsync(new Dictionary<string, ResolvedKey> { [tenantKey] = resolved }, () => Interlocked.Increment(ref lookups.Value));
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
        var url = gateway.Url.TrimEnd('/') + "/v1/models";
        await using var audit = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);

        using var tenant = new LoadRunner("tenant", url, tenantKey);
        await tenant.ThroughputAsync(TenantCallers, TimeSpan.FromSeconds(2));
        Console.WriteLine($"Flood benchmark: tenant {TenantCallers} callers; flood {FloodConnections} connections of random well-formed keys; {seconds} s a phase; {Environment.ProcessorCount} cores");
        Console.WriteLine($"{"phase",-28} {"tenant p50",11} {"tenant p99",11} {"tenant rps",11} {"flood rps",10} {"flood 401",10} {"flood 429",10} {"lookups",8} {"audit rows",11}");

        var alone = await TenantPhaseAsync(tenant, phase);
        Print("tenant alone", alone, null, 0, 0);
        var baselineP99 = alone.P99Ms;
        foreach (var (name, source) in new[] { ("flood from another address", IPAddress.Parse("127.0.0.2")), ("flood from the tenant's address", IPAddress.Loopback) })
        {
            var rowsBefore = await AuditRowsAsync(audit);
            var lookupsBefore = Interlocked.Read(ref lookups.Value);
            using var stop = new CancellationTokenSource();
            var flood = FloodAsync(url, source, stop.Token);
            var withFlood = await TenantPhaseAsync(tenant, phase);
            stop.Cancel();
            var floodResult = await flood;
            // The audit window (10 s by default) closes after the flood: wait for it so its last row counts.
            await Task.Delay(TimeSpan.FromSeconds(11));
            var rows = await AuditRowsAsync(audit) - rowsBefore;
            Print(name, withFlood, floodResult, Interlocked.Read(ref lookups.Value) - lookupsBefore, rows);
            Console.WriteLine($"{"",-28} tenant p99 with flood / alone = {withFlood.P99Ms / baselineP99:0.00}  target <= 2: {(withFlood.P99Ms <= 2 * baselineP99 ? "met" : "MISSED")}; " +
                              $"{floodResult.Total} refused calls -> {rows} audit rows");
            await Task.Delay(TimeSpan.FromSeconds(11)); // let the address's failure window expire before the next phase
        }

        await upstreamApp.DisposeAsync();
        await resolverApp.DisposeAsync();
    }

    private sealed class StrongBox
    {
        public long Value;
    }

    private sealed record TenantResult(double P50Ms, double P99Ms, double Rps, int Errors);

    private sealed record FloodResult(double Rps, long Unauthorized, long Limited, long Other)
    {
        public long Total => Unauthorized + Limited + Other;
    }

    private static void Print(string name, TenantResult t, FloodResult? f, long lookups, long rows) =>
        Console.WriteLine($"{name,-28} {t.P50Ms,9:0.000}ms {t.P99Ms,9:0.000}ms {t.Rps,11:0} {f?.Rps ?? 0,10:0} {f?.Unauthorized ?? 0,10} {f?.Limited ?? 0,10} {lookups,8} {rows,11}" +
                          (t.Errors > 0 ? $"  tenant errors: {t.Errors}" : ""));

    private static async Task<TenantResult> TenantPhaseAsync(LoadRunner tenant, TimeSpan duration)
    {
        var samples = new System.Collections.Concurrent.ConcurrentBag<double>();
        var errors = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, TenantCallers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                if (!await tenant.CallAsync())
                {
                    Interlocked.Increment(ref errors);
                }
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        })));
        var sorted = samples.Order().ToArray();
        return new TenantResult(sorted[sorted.Length / 2], sorted[(int)(sorted.Length * 0.99)], sorted.Length / clock.Elapsed.TotalSeconds, errors);
    }

    private static async Task<FloodResult> FloodAsync(string url, IPAddress source, CancellationToken stop)
    {
        long unauthorized = 0, limited = 0, other = 0;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = FloodConnections,
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, FloodConnections).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + RandomKey());
                try
                {
                    using var response = await client.SendAsync(request, stop);
                    await response.Content.LoadIntoBufferAsync(stop);
                    if (response.StatusCode == HttpStatusCode.Unauthorized)
                    {
                        Interlocked.Increment(ref unauthorized);
                    }
                    else if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        Interlocked.Increment(ref limited);
                    }
                    else
                    {
                        Interlocked.Increment(ref other);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }
        })));
        var total = unauthorized + limited + other;
        return new FloodResult(total / clock.Elapsed.TotalSeconds, unauthorized, limited, other);
    }

    private static string RandomKey() =>
        $"ac_{RandomNumberGenerator.GetString(ApiKeyShape.PrefixAlphabet, ApiKeyShape.PrefixLength)}_{RandomNumberGenerator.GetString(ApiKeyShape.SecretAlphabet, ApiKeyShape.SecretLength)}";

    private static async Task<long> AuditRowsAsync(ConnectionMultiplexer redis)
    {
        var db = redis.GetDatabase();
        if (!await db.KeyExistsAsync(PlatformAuditEntry.StreamName))
        {
            return 0;
        }
        return (await db.StreamRangeAsync(PlatformAuditEntry.StreamName)).Count(e => e["action"] == PlatformAuditEntry.KeysRefused);
    }
}
