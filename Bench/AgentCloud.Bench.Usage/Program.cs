using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Pricing;
using AgentCloud.Tests.Shared;
using AgentCloud.UsageAggregator.Data;
using AgentCloud.UsageAggregator.Extensions;
using AgentCloud.UsageAggregator.Ingestion;
using AgentCloud.UsageAggregator.Telemetry;
using AgentCloud.UsageAggregator.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

// Usage: dotnet run -c Release --project Bench/AgentCloud.Bench.Usage [events] [batchSize] [consumers] [fsync=on|off] [keysPerTenant]
var total = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
var batchSize = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5_000;
var consumerCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
// Durable by default, as production runs: the test fixture's fsync=off would hide the cost of each commit's flush.
var fsync = args.Length > 3 ? args[3] != "fsync=off" : true;
// Rollups are per key: more keys spending in the same minute means more rollup rows per batch.
var keysPerTenant = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 1;

await using var redisServer = new Servers.Redis();
await using var pgServer = new Servers.Postgres(fsync);
await Task.WhenAll(redisServer.Fixture.InitializeAsync(), pgServer.Fixture.InitializeAsync());
var redis = redisServer.Fixture.Connection;
Console.WriteLine($"{Environment.ProcessorCount} cores; {total:N0} events, batches of {batchSize:N0}, {consumerCount} consumers, {keysPerTenant} keys per tenant");
Console.WriteLine($"postgres: {await pgServer.SettingsAsync()}");
Console.WriteLine($"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}");
var cpu = new CpuMeter(redisServer.Fixture.Port, pgServer.Fixture.Port);

// Warm-up, not measured: the same paths once, so that neither measurement pays for JIT compilation and first connections.
var warmUp = Workload.Build(20_000, keysPerTenant);
await Baseline.RunAsync(redis, warmUp, batchSize, "usage-events-warmup-baseline");
await EndToEnd.RunAsync(redisServer.Fixture.ConnectionString, await pgServer.Fixture.CreateDatabaseAsync("bench_warmup"), warmUp, batchSize, consumerCount, "usage-events-warmup", pace: null);
warmUp = null;

var events = Workload.Build(total, keysPerTenant);

// Baseline: the same entries through the stream alone, XADD and XREADGROUP + XACK, no database.
var phase = Phase.Start(cpu);
var baseline = await Baseline.RunAsync(redis, events, batchSize, "usage-events-baseline");
var baselineCpu = phase.Report();
Console.WriteLine($"baseline (XADD + XREADGROUP, no database): {baseline:N0} events/s wall clock; {baselineCpu:0.00} CPU s = {total / baselineCpu * 2:N0} events/s on 2 dedicated cores");

// End to end: XADD until the last event's rollup is committed.
var db = await pgServer.Fixture.CreateDatabaseAsync("bench_usage");
phase = Phase.Start(cpu);
var (endToEnd, lags) = await EndToEnd.RunAsync(redisServer.Fixture.ConnectionString, db, events, batchSize, consumerCount, "usage-events-bench", pace: null);
var endToEndCpu = phase.Report();
Console.WriteLine($"end to end (XADD -> committed rollups):   {endToEnd:N0} events/s wall clock; {endToEndCpu:0.00} CPU s = {total / endToEndCpu * 2:N0} events/s on 2 dedicated cores");
Console.WriteLine($"ratio end-to-end / baseline:              {endToEnd / baseline:P1} wall clock; {baselineCpu / endToEndCpu:P1} by CPU");
Console.WriteLine($"lag p50/p99 while flooding:               {Percentile(lags, 0.50):N0} ms / {Percentile(lags, 0.99):N0} ms");

// Lag at a steady offered load of 80% of what end to end sustained (capped at the 50,000/s target).
var rate = Math.Min(50_000, endToEnd * 0.8);
var paced = Workload.Build(Math.Min(total, (int)(rate * 5)), keysPerTenant);
var (pacedRate, pacedLags) = await EndToEnd.RunAsync(redisServer.Fixture.ConnectionString, db, paced, batchSize, consumerCount, "usage-events-paced", pace: rate);
Console.WriteLine($"steady load {rate:N0} events/s offered:     {pacedRate:N0} events/s counted, lag p50/p99 {Percentile(pacedLags, 0.50):N0} ms / {Percentile(pacedLags, 0.99):N0} ms");
await Breakdown.RunAsync(redis.GetDatabase(), "usage-events-baseline", await pgServer.Fixture.CreateDatabaseAsync("bench_breakdown"), batchSize, cpu, total);
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
    /// <summary>
    /// Events, not their stream fields: the producer serialises each as it sends it, as a real one does, and the
    /// bench does not carry millions of long-lived field strings whose marking would bill every gen-2 GC to the consumers.
    /// </summary>
    public static UsageEvent[] Build(int count, int keysPerTenant)
    {
        var random = new Random(42);
        string[] tenants = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka"];
        string[] models = ["sim-small", "sim-large"];
        var now = DateTimeOffset.UtcNow;
        return Enumerable.Range(0, count).Select(_ => new UsageEvent
        {
            EventId = Guid.NewGuid().ToString("N"),
            TenantId = tenants[random.Next(tenants.Length)],
            Principal = keysPerTenant == 1 ? "key:bench" : $"key:bench{random.Next(keysPerTenant)}",
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
        }).ToArray();
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

    /// <summary>XADDs everything, 100 entries a script call, 20 calls in flight; with a pace, no faster than that many per second.</summary>
    public static async Task ProduceAsync(IDatabase db, string stream, UsageEvent[] events, double? pace)
    {
        var sw = Stopwatch.StartNew();
        // 100 entries of up to 16 fields stay under the 85 kB above which each argument array would be a large object.
        const int perCall = 100;
        const int inFlight = 20;
        var pending = new Queue<Task>(inFlight);
        var fields = new IReadOnlyList<KeyValuePair<string, string>>[perCall];
        for (var i = 0; i < events.Length; i += perCall)
        {
            if (pace is { } rate)
            {
                var due = TimeSpan.FromSeconds(i / rate);
                if (due > sw.Elapsed) await Task.Delay(due - sw.Elapsed);
            }
            var count = Math.Min(perCall, events.Length - i);
            var size = 0;
            for (var j = 0; j < count; j++)
            {
                fields[j] = events[i + j].ToStreamFields();
                size += 1 + fields[j].Count * 2;
            }
            var args = new RedisValue[size];
            var k = 0;
            for (var j = 0; j < count; j++)
            {
                args[k++] = fields[j].Count * 2;
                foreach (var (name, value) in fields[j])
                {
                    args[k++] = name;
                    args[k++] = value;
                }
            }
            // A sliding window: the next call goes out as soon as the oldest is answered.
            if (pending.Count == inFlight)
            {
                await pending.Dequeue();
            }
            pending.Enqueue(db.ScriptEvaluateAsync(AddMany, [stream], args));
        }
        await Task.WhenAll(pending);
    }
}

internal static class Baseline
{
    public static async Task<double> RunAsync(ConnectionMultiplexer redis, UsageEvent[] events, int batchSize, string stream)
    {
        var db = redis.GetDatabase();
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

/// <summary>CPU seconds of the bench, redis and postgres, and this process's garbage collections, over one measured phase.</summary>
internal sealed class Phase
{
    private readonly CpuMeter _cpu;
    private readonly (double Total, double Own, double Redis, double Postgres) _start;
    private readonly TimeSpan _gcPause = GC.GetTotalPauseDuration();
    private readonly int _gen2 = GC.CollectionCount(2);
    private readonly long _allocated = GC.GetTotalAllocatedBytes();

    private Phase(CpuMeter cpu)
    {
        _cpu = cpu;
        _start = cpu.Split();
    }

    public static Phase Start(CpuMeter cpu) => new(cpu);

    /// <summary>Prints the split and returns the total CPU seconds.</summary>
    public double Report()
    {
        var end = _cpu.Split();
        Console.WriteLine($"  (CPU s: bench {end.Own - _start.Own:0.00}, redis {end.Redis - _start.Redis:0.00}, postgres {end.Postgres - _start.Postgres:0.00}; " +
            $"bench GC pauses {(GC.GetTotalPauseDuration() - _gcPause).TotalSeconds:0.00} s, {GC.CollectionCount(2) - _gen2} gen-2, {(GC.GetTotalAllocatedBytes() - _allocated) / 1e6:N0} MB allocated)");
        return end.Total - _start.Total;
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
        string redisConnection, string database, UsageEvent[] events, int batchSize, int consumers, string stream, double? pace)
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
        // Priced as the AppHost prices them, so each event's price lookup finds a row, as in production.
        builder.Services.AddOptions<PriceListOptions>().Configure(o => o.Models =
        [
            new ModelPrice { Model = "sim-small", InputPerMillion = 0.15m, CachedInputPerMillion = 0.075m, OutputPerMillion = 0.60m },
            new ModelPrice { Model = "sim-large", InputPerMillion = 2.50m, CachedInputPerMillion = 1.25m, OutputPerMillion = 10.00m },
        ]);
        builder.Services.AddHostedService<ConfiguredPrices>();
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

    public sealed class Postgres(bool fsync) : IAsyncDisposable
    {
        public PostgresServerFixture Fixture { get; } = new() { Settings = fsync ? ["fsync=on"] : [] };

        /// <summary>The settings that decide what a commit costs, as the server reports them.</summary>
        public async Task<string> SettingsAsync()
        {
            await using var conn = new NpgsqlConnection(Fixture.ConnectionStringFor("postgres"));
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings
                WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers', 'max_wal_size', 'wal_sync_method')
                """, conn);
            return (string)(await cmd.ExecuteScalarAsync())!;
        }

        public async ValueTask DisposeAsync() => await Fixture.DisposeAsync();
    }
}
