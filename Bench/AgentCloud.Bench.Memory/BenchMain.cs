using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.Memory.Domain;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentCloud.Bench.Memory;

/// <summary>
/// Upsert and search through the Memory service (HTTP on 127.0.0.1, tenant context, validation, second authorization layer)
/// vs the same operations straight against pgvector, on the same Postgres, in one run; prints the overhead ratios.
/// </summary>
internal static class BenchMain
{
    private const int Dimension = 384;
    private const int PreloadBatches = 20;
    private const int BatchSize = 100;
    private const int UpsertRounds = 30;
    private const int Searches = 300;
    private const int Warmup = 10;

    public static async Task Main()
    {
        await using var postgres = new PostgresFixtureScope();
        await postgres.Server.InitializeAsync();
        var connectionString = await postgres.Server.CreateDatabaseAsync(null, "vector");
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseVector();
        await using var dataSource = builder.Build();
        var direct = new DirectPgvector(dataSource);
        await direct.CreateAsync();

        var port = LocalProcess.FreePort();
        await using var service = new MemoryServiceHost(connectionString, port);
        service.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var tenant = TestTenantContexts.Tenant("bench");
        http.DefaultRequestHeaders.TryAddWithoutValidation("x-agentcloud-context", TestTenantContexts.Mint(tenant, TimeSpan.FromHours(1)));

        var random = new Random(42);
        var batches = Enumerable.Range(0, PreloadBatches + UpsertRounds + Warmup)
            .Select(b => Enumerable.Range(0, BatchSize).Select(i => (Id: $"p{b}-{i}", Vector: RandomVector(random))).ToList()).ToList();
        var queries = Enumerable.Range(0, Searches + Warmup).Select(_ => RandomVector(random)).ToList();

        Console.WriteLine($"Memory benchmark: pgvector, {Dimension} dimensions, upsert batches of {BatchSize}, search limit 10 over {PreloadBatches * BatchSize} points");
        for (var b = 0; b < PreloadBatches; b++)
        {
            await ServiceUpsertAsync(http, batches[b]);
            await direct.UpsertAsync(tenant.TenantId, "bench", batches[b]);
        }

        // Request bodies are serialized before timing: the client's JSON work is not the service's overhead.
        var upsertBatches = batches.Skip(PreloadBatches).ToList();
        var upsertBodies = upsertBatches.Select(UpsertBody).ToList();
        var searchBodies = queries.Select(q => JsonSerializer.SerializeToUtf8Bytes(new { vector = q, limit = 10 })).ToList();
        var memory = service.Services.GetRequiredService<MemoryService>();
        var inProcessBatches = upsertBatches.Select(b => new UpsertRequest([.. b.Select(p =>
            new PointInput(JsonSerializer.SerializeToElement("l" + p.Id), null, p.Vector, new JsonObject { ["n"] = 1 }))])).ToList();
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        // Searches first, while both tables hold the same preloaded points; the variants take turns on each input so
        // that drift on this shared machine hits them alike. "service logic" is the same service code called in-process,
        // without HTTP and JSON: it splits the overhead into its two parts.
        var search = await MeasureAsync(queries.Count,
            i => SendAsync(http, HttpMethod.Post, "/v1/memory/bench/search", searchBodies[i]),
            i => memory.SearchAsync(tenant, "bench", new SearchRequest(null, queries[i], 10, null), CancellationToken.None),
            i => direct.SearchAsync(tenant.TenantId, "bench", queries[i], 10));
        var upsert = await MeasureAsync(upsertBatches.Count,
            i => SendAsync(http, HttpMethod.Put, "/v1/memory/bench/points", upsertBodies[i]),
            i => memory.UpsertAsync(tenant, "bench", inProcessBatches[i], CancellationToken.None),
            i => direct.UpsertAsync(tenant.TenantId, "bench", upsertBatches[i]),
            i => Task.FromResult(JsonSerializer.Deserialize<UpsertRequest>(upsertBodies[i], web)));
        var (serviceSearch, logicSearch, directSearch) = (search[0], search[1], search[2]);
        var (serviceUpsert, logicUpsert, directUpsert, parseUpsert) = (upsert[0], upsert[1], upsert[2], upsert[3]);

        Console.WriteLine();
        Console.WriteLine($"{"operation",-26}{"mean ms",10}{"p50 ms",10}{"p95 ms",10}");
        Print($"upsert {BatchSize} via service", serviceUpsert);
        Print($"upsert {BatchSize} service logic", logicUpsert);
        Print($"upsert {BatchSize} direct", directUpsert);
        Print($"  JSON parse of that body", parseUpsert);
        Print("search via service", serviceSearch);
        Print("search service logic", logicSearch);
        Print("search direct", directSearch);
        Console.WriteLine();
        Console.WriteLine($"overhead ratio upsert (service / direct, mean): {serviceUpsert.Mean / directUpsert.Mean:0.00}x  (p50 {serviceUpsert.P50 / directUpsert.P50:0.00}x)");
        Console.WriteLine($"overhead ratio search (service / direct, mean): {serviceSearch.Mean / directSearch.Mean:0.00}x  (p50 {serviceSearch.P50 / directSearch.P50:0.00}x)");
        Console.WriteLine($"of which service logic without HTTP (logic / direct, mean): upsert {logicUpsert.Mean / directUpsert.Mean:0.00}x, search {logicSearch.Mean / directSearch.Mean:0.00}x");
    }

    private static async Task ServiceUpsertAsync(HttpClient http, IReadOnlyList<(string Id, float[] Vector)> points) =>
        await SendAsync(http, HttpMethod.Put, "/v1/memory/bench/points", UpsertBody(points));

    private static byte[] UpsertBody(IReadOnlyList<(string Id, float[] Vector)> points)
    {
        var body = new JsonObject
        {
            ["points"] = new JsonArray([.. points.Select(p => (JsonNode)new JsonObject
            {
                ["id"] = p.Id,
                ["vector"] = new JsonArray([.. p.Vector.Select(v => (JsonNode)v)]),
                ["payload"] = new JsonObject { ["n"] = 1 },
            })]),
        };
        return JsonSerializer.SerializeToUtf8Bytes(body);
    }

    private static async Task SendAsync(HttpClient http, HttpMethod method, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await http.SendAsync(request);
        // The answer is read in full, as a client would, but not parsed.
        await response.Content.ReadAsByteArrayAsync();
        response.EnsureSuccessStatusCode();
    }

    private static async Task<Stats[]> MeasureAsync(int count, params Func<int, Task>[] variants)
    {
        var samples = variants.Select(_ => new List<double>(count)).ToArray();
        for (var i = 0; i < count; i++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                var sw = Stopwatch.StartNew();
                await variants[v](i);
                if (i >= Warmup)
                {
                    samples[v].Add(sw.Elapsed.TotalMilliseconds);
                }
            }
        }
        return [.. samples.Select(s =>
        {
            s.Sort();
            return new Stats(s.Average(), s[s.Count / 2], s[(int)(s.Count * 0.95)]);
        })];
    }

    private static float[] RandomVector(Random random) => [.. Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];

    private static void Print(string name, Stats s) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-26}{s.Mean,10:0.00}{s.P50,10:0.00}{s.P95,10:0.00}"));

    private sealed record Stats(double Mean, double P50, double P95);

    private sealed class PostgresFixtureScope : IAsyncDisposable
    {
        public PostgresServerFixture Server { get; } = new();

        public async ValueTask DisposeAsync() => await Server.DisposeAsync();
    }
}
