using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AgentCloud.ServiceDefaults.Contracts;
using AgentCloud.Tests.Shared;
using AgentCloud.UsageAggregator.Data;
using AgentCloud.UsageAggregator.Ingestion;
using AgentCloud.UsageAggregator.Telemetry;
using AgentCloud.UsageAggregator.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

// Usage: dotnet run -c Release --project Bench/AgentCloud.Bench.Usage [events] [batchSize] [consumers]
var total = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
var batchSize = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5_000;
var consumerCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;

await using var redisServer = new Servers.Redis();
await using var pgServer = new Servers.Postgres();
await Task.WhenAll(redisServer.Fixture.InitializeAsync(), pgServer.Fixture.InitializeAsync());
var redis = redisServer.Fixture.Connection;
Console.WriteLine($"{Environment.ProcessorCount} cores; {total:N0} events, batches of {batchSize:N0}, {consumerCount} consumers");

Console.WriteLine($"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}");
var cpu = new CpuMeter(redisServer.Fixture.Port, pgServer.Fixture.Port);
var events = Workload.Build(total);

// Baseline: the same entries through the stream alone, XADD and XREADGROUP + XACK, no database.
var split0 = cpu.Split();
var cpuBefore = split0.Total;
var baseline = await Baseline.RunAsync(redis, events, batchSize);
var split1 = cpu.Split();
var baselineCpu = split1.Total - cpuBefore;
Console.WriteLine($"  (CPU s: bench {split1.Own - split0.Own:0.00}, redis {split1.Redis - split0.Redis:0.00}, postgres {split1.Postgres - split0.Postgres:0.00})");
Console.WriteLine($"baseline (XADD + XREADGROUP, no database): {baseline:N0} events/s wall clock; {baselineCpu:0.00} CPU s = {total / baselineCpu * 2:N0} events/s on 2 dedicated cores");

// End to end: XADD until the last event's rollup is committed.
var db = await pgServer.Fixture.CreateDatabaseAsync("bench_usage");
split1 = cpu.Split();
cpuBefore = split1.Total;
var (endToEnd, lags) = await EndToEnd.RunAsync(redisServer.Fixture.ConnectionString, db, events, batchSize, consumerCount, "usage-events-bench", pace: null);
var split2 = cpu.Split();
var endToEndCpu = split2.Total - cpuBefore;
Console.WriteLine($"  (CPU s: bench {split2.Own - split1.Own:0.00}, redis {split2.Redis - split1.Redis:0.00}, postgres {split2.Postgres - split1.Postgres:0.00})");
Console.WriteLine($"end to end (XADD -> committed rollups):   {endToEnd:N0} events/s wall clock; {endToEndCpu:0.00} CPU s = {total / endToEndCpu * 2:N0} events/s on 2 dedicated cores");
Console.WriteLine($"ratio end-to-end / baseline:              {endToEnd / baseline:P1} wall clock; {baselineCpu / endToEndCpu:P1} by CPU");
Console.WriteLine($"lag p50/p99 while flooding:               {Percentile(lags, 0.50):N0} ms / {Percentile(lags, 0.99):N0} ms");

// Lag at a steady offered load of 80% of what end to end sustained (capped at the 50,000/s target).
var rate = Math.Min(50_000, endToEnd * 0.8);
var paced = Workload.Build(Math.Min(total, (int)(rate * 5)));
var (pacedRate, pacedLags) = await EndToEnd.RunAsync(redisServer.Fixture.ConnectionString, db, paced, batchSize, consumerCount, "usage-events-paced", pace: rate);
Console.WriteLine($"steady load {rate:N0} events/s offered:     {pacedRate:N0} events/s counted, lag p50/p99 {Percentile(pacedLags, 0.50):N0} ms / {Percentile(pacedLags, 0.99):N0} ms");
Console.WriteLine($"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine($"target >= 50,000 events/s end to end: {(endToEnd >= 50_000 ? "met" : "NOT met")} wall clock, {(total / endToEndCpu * 2 >= 50_000 ? "met" : "NOT met")} by CPU; lag p99 <= 1 s at steady load: {(Percentile(pacedLags, 0.99) <= 1000 ? "met" : "NOT met")}");

static double Percentile(List<double> values, double p)
{
    if (values.Count == 0) return double.NaN;
    values.Sort();
    return values[Math.Min(values.Count - 1, (int)(p * values.Count))];
}

internal static class Workload
{
    public static NameValueEntry[][] Build(int count)
    {
        var random = new Random(42);
        string[] tenants = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka"];
        string[] models = ["sim-small", "sim-large"];
        var now = DateTimeOffset.UtcNow;
        return Enumerable.Range(0, count).Select(_ => new UsageEvent
        {
            EventId = Guid.NewGuid().ToString("N"),
            TenantId = tenants[random.Next(tenants.Length)],
            Principal = "key:bench",
            Kind = "inference",
            Resource = models[random.Next(models.Length)],
            Endpoint = "/v1/chat/completions",
            Placement = "shared",
            InputTokens = random.Next(1, 4000),
            CachedInputTokens = random.Next(0, 500),
            OutputTokens = random.Next(1, 1000),
            WeightedTokens = random.Next(1, 5000),
            StartedAt = now.AddSeconds(-random.Next(120)),
            DurationMs = random.Next(10, 3000),
        }.ToStreamFields().Select(f => new NameValueEntry(f.Key, f.Value)).ToArray()).ToArray();
    }

    // Many XADDs per round trip, so that the producer is not what is measured (same producer for baseline and end to end).
    private const string AddMany = """
        local i = 1
        while i <= #ARGV do
            local n = tonumber(ARGV[i])
            redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + n))
            i = i + n + 1
        end
        return 0
        """;

    /// <summary>XADDs everything, 200 entries a script call, pipelined; with a pace, no faster than that many per second.</summary>
    public static async Task ProduceAsync(IDatabase db, string stream, NameValueEntry[][] events, double? pace)
    {
        var sw = Stopwatch.StartNew();
        const int perCall = 200;
        const int inFlight = 10;
        var pending = new List<Task>(inFlight);
        for (var i = 0; i < events.Length; i += perCall)
        {
            if (pace is { } rate)
            {
                var due = TimeSpan.FromSeconds(i / rate);
                if (due > sw.Elapsed) await Task.Delay(due - sw.Elapsed);
            }
            var args = new List<RedisValue>(perCall * 27);
            for (var j = i; j < Math.Min(i + perCall, events.Length); j++)
            {
                args.Add(events[j].Length * 2);
                foreach (var f in events[j])
                {
                    args.Add(f.Name);
                    args.Add(f.Value);
                }
            }
            pending.Add(db.ScriptEvaluateAsync(AddMany, [stream], [.. args]));
            if (pending.Count == inFlight)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);
    }
}

internal static class Baseline
{
    public static async Task<double> RunAsync(ConnectionMultiplexer redis, NameValueEntry[][] events, int batchSize)
    {
        var db = redis.GetDatabase();
        const string stream = "usage-events-baseline";
        await db.StreamCreateConsumerGroupAsync(stream, "g", StreamPosition.Beginning, createStream: true);
        var sw = Stopwatch.StartNew();
        var producedIn = TimeSpan.Zero;
        var producing = Workload.ProduceAsync(db, stream, events, pace: null).ContinueWith(_ => producedIn = sw.Elapsed, TaskScheduler.Default);
        var read = 0;
        while (read < events.Length)
        {
            var entries = await db.StreamReadGroupAsync(stream, "g", "c", StreamPosition.NewMessages, batchSize);
            if (entries.Length == 0)
            {
                await Task.Delay(1);
                continue;
            }
            // Touch the fields as a consumer would, so the comparison is only the database's cost.
            foreach (var e in entries) _ = e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString());
            await db.StreamAcknowledgeAsync(stream, "g", entries.Select(e => e.Id).ToArray());
            read += entries.Length;
        }
        var elapsed = sw.Elapsed.TotalSeconds;
        await producing;
        Console.WriteLine($"  (producer alone took {producedIn.TotalSeconds:0.00} s of {elapsed:0.00} s)");
        return events.Length / elapsed;
    }
}

internal sealed class LagHooks(int expected) : UsageConsumerHooks
{
    private int _committed;
    public ConcurrentBag<double> LagsMs { get; } = [];
    public TaskCompletionSource AllCommitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override ValueTask AfterCommitAsync(string consumer, IReadOnlyList<StreamEntry> batch)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var e in batch) LagsMs.Add((now - StreamIds.Timestamp(e.Id)).TotalMilliseconds);
        if (Interlocked.Add(ref _committed, batch.Count) >= expected) AllCommitted.TrySetResult();
        return ValueTask.CompletedTask;
    }
}

internal static class EndToEnd
{
    public static async Task<(double Rate, List<double> LagsMs)> RunAsync(
        string redisConnection, string database, NameValueEntry[][] events, int batchSize, int consumers, string stream, double? pace)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<IConnectionMultiplexer>(await ConnectionMultiplexer.ConnectAsync(redisConnection));
        builder.Services.AddSingleton(NpgsqlDataSource.Create(database));
        builder.Services.AddOptions<UsageIngestionOptions>().Configure(o =>
        {
            o.StreamName = stream;
            o.DeadLetterStreamName = stream + "-dead";
            o.BatchSize = batchSize;
            o.Consumers = consumers;
            o.PollInterval = TimeSpan.FromMilliseconds(2);
        });
        var hooks = new LagHooks(events.Length);
        builder.Services.AddSingleton<UsageConsumerHooks>(hooks);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<UsageMetrics>();
        builder.Services.AddSingleton<OffboardedTenants>();
        builder.Services.AddSingleton<UsageEventValidator>();
        builder.Services.AddHostedService<SchemaMigrator>();
        builder.Services.AddHostedService<UsageIngestionWorker>();
        using var host = builder.Build();
        await host.StartAsync();

        var db = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var sw = Stopwatch.StartNew();
        await Workload.ProduceAsync(db, stream, events, pace);
        await hooks.AllCommitted.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var rate = events.Length / sw.Elapsed.TotalSeconds;
        await host.StopAsync();

        await using var check = host.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT count(*) FROM usage_events");
        var stored = (long)(await check.ExecuteScalarAsync())!;
        Console.WriteLine($"  ({events.Length:N0} events sent; {stored:N0} in the ledger over all runs)");
        return (rate, hooks.LagsMs.ToList());
    }
}

internal static class Servers
{
    public sealed class Redis : IAsyncDisposable
    {
        public RedisServerFixture Fixture { get; } = new();
        public async ValueTask DisposeAsync() => await Fixture.DisposeAsync();
    }

    public sealed class Postgres : IAsyncDisposable
    {
        public PostgresServerFixture Fixture { get; } = new();
        public async ValueTask DisposeAsync() => await Fixture.DisposeAsync();
    }
}
