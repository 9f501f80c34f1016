using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using AgentCloud.UsageAggregator.Data;
using AgentCloud.UsageAggregator.Ingestion;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>
/// The UsageAggregator in-process against the real servers, on its own database and its own streams.
/// With <c>runWorker: false</c> nothing consumes until the test drives consumers itself (to crash them at will).
/// </summary>
public sealed class UsageHost : WebApplicationFactory<Program>
{
    private readonly string _database;
    private readonly string _redis;
    private readonly bool _runWorker;
    private readonly UsageConsumerHooks? _hooks;
    private readonly IReadOnlyDictionary<string, string> _settings;

    private UsageHost(string database, string redis, bool runWorker, UsageConsumerHooks? hooks, IReadOnlyDictionary<string, string>? settings)
    {
        _database = database;
        _redis = redis;
        _runWorker = runWorker;
        _hooks = hooks;
        _settings = settings ?? new Dictionary<string, string>();
    }

    public string Stream { get; } = "usage-events-" + Guid.NewGuid().ToString("N")[..10];

    public string DeadLetterStream => Stream + "-dead";

    public const string Group = "usage-aggregator";

    public string DatabaseConnectionString => _database;

    public IDatabase Redis => Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    public static async Task<UsageHost> StartAsync(
        UsageServers servers, bool runWorker = true, UsageConsumerHooks? hooks = null,
        IReadOnlyDictionary<string, string>? settings = null, PostgresServerFixture? postgres = null, string? database = null)
    {
        database ??= await (postgres ?? servers.Postgres).CreateDatabaseAsync();
        // Generous timeouts: the test machine is shared and at times badly overloaded; later keys override the fixture's.
        var redis = servers.Redis.ConnectionString + ",syncTimeout=20000,asyncTimeout=20000";
        var host = new UsageHost(database, redis, runWorker, hooks, settings);
        _ = host.Server;
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:usage-db", _database);
        builder.UseSetting("ConnectionStrings:redis", _redis);
        builder.UseSetting("TenantContext:StaticJwks", TestTenantContexts.Jwks);
        foreach (var (key, value) in SimulatedModels.UsagePriceSettings)
        {
            builder.UseSetting(key, value);
        }
        builder.UseSetting("UsageIngestion:StreamName", Stream);
        builder.UseSetting("UsageIngestion:DeadLetterStreamName", DeadLetterStream);
        builder.UseSetting("UsageIngestion:ConsumerGroup", Group);
        builder.UseSetting("UsageIngestion:PollInterval", "00:00:00.005");
        builder.UseSetting("UsageIngestion:MaxBackoff", "00:00:00.500");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services =>
        {
            if (!_runWorker)
            {
                var worker = services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(UsageIngestionWorker));
                services.Remove(worker);
            }
            if (_hooks is not null)
            {
                services.AddSingleton(_hooks);
            }
        });
    }

    public HttpClient ClientAs(TenantContext context) => CreateClient().As(context);

    /// <summary>A consumer built like the worker's, for tests that crash and restart consumers by hand.</summary>
    public async Task<UsageConsumer> ConsumerAsync(string name)
    {
        var consumer = UsageIngestionWorker.Create(Services, name);
        await consumer.EnsureGroupAsync();
        return consumer;
    }

    public async Task AddAsync(params UsageEvent[] events)
    {
        var db = Redis;
        foreach (var chunk in events.Chunk(500))
        {
            await Task.WhenAll(chunk.Select(e => db.StreamAddAsync(Stream, e.ToStreamFields().Select(f => new NameValueEntry(f.Key, f.Value)).ToArray())));
        }
    }

    public Task AddRawAsync(params (string Name, string Value)[] fields) =>
        Redis.StreamAddAsync(Stream, fields.Select(f => new NameValueEntry(f.Name, f.Value)).ToArray());

    /// <summary>Waits until the group has read every entry and acknowledged everything it read.</summary>
    public async Task WaitUntilDrainedAsync(TimeSpan? timeout = null)
    {
        await LocalProcess.WaitUntilAsync(async () =>
        {
            var groups = await Redis.StreamGroupInfoAsync(Stream);
            var group = groups.SingleOrDefault(g => g.Name == Group);
            return group.Name is not null && group.PendingMessageCount == 0 && group.Lag == 0;
        }, timeout ?? TimeSpan.FromSeconds(60), "the usage stream to drain");
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(_database);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task<long> CountedEventsAsync() => ScalarAsync("SELECT coalesce(sum(events), 0) FROM usage_rollups");

    public Task<long> RawEventsAsync() => ScalarAsync("SELECT count(*) FROM usage_events");

    public Task<ReconciliationReport> ReconcileAsync() =>
        Services.GetRequiredService<Reconciliation>().RunAsync(null, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero), CancellationToken.None);
}
