using AgentCloud.Platform.Contracts;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using AgentCloud.Memory.Backends;
using AgentCloud.Memory.Domain;
using AgentCloud.Memory.Tests.Support;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentCloud.Memory.Tests;

/// <summary>The check of every hit against the caller's tenant, independent of the store's filter, with a store that forgets it.</summary>
public sealed class SecondAuthorizationLayerTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ListLogger _log = new();

    [Fact]
    public async Task Hits_of_another_tenant_or_collection_from_a_broken_store_are_dropped_logged_and_counted()
    {
        var store = new FilterForgettingStore(
            new StoredHit("acme", "notes", "\"mine\"", 0.9, new JsonObject { ["owner"] = "acme" }),
            new StoredHit("globex", "notes", "\"theirs\"", 0.95, new JsonObject { ["owner"] = "globex" }),
            new StoredHit("acme", "other", "\"elsewhere\"", 0.8, []));
        var meters = _services.GetRequiredService<IMeterFactory>();
        var dropped = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name == MemoryMetrics.ForeignResultsDropped)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref dropped, value));
        listener.Start();
        var memory = new MemoryService(store, new HashingEmbedder(3), new FixedTenantPolicies(), Options.Create(new MemoryOptions()),
            new MemoryMetrics(meters), _log);

        var response = await memory.SearchAsync(TestTenantContexts.Tenant("acme"), "notes", new SearchRequest(null, [1, 0, 0], 10, null), CancellationToken.None);

        var only = Assert.Single(response.Results);
        Assert.Equal("mine", (string?)only.Id);
        Assert.Equal(2, Interlocked.Read(ref dropped));
        Assert.Equal(2, _log.Entries.Count(e => e.Level == LogLevel.Error && e.Message.Contains("tenant filter failed")));
    }

    [Fact]
    public async Task Hits_of_the_callers_own_collection_pass_unchanged()
    {
        var store = new FilterForgettingStore(new StoredHit("acme", "notes", "42", 0.5, new JsonObject { ["k"] = "v" }));
        var memory = new MemoryService(store, new HashingEmbedder(3), new FixedTenantPolicies(), Options.Create(new MemoryOptions()),
            new MemoryMetrics(_services.GetRequiredService<IMeterFactory>()), _log);

        var response = await memory.SearchAsync(TestTenantContexts.Tenant("acme"), "notes", new SearchRequest(null, [0, 1, 0], 5, null), CancellationToken.None);

        var only = Assert.Single(response.Results);
        Assert.Equal(42, (int)only.Id!);
        Assert.Equal("v", (string?)only.Payload["k"]);
        Assert.DoesNotContain(_log.Entries, e => e.Level == LogLevel.Error);
    }

    public void Dispose() => _services.Dispose();

    /// <summary>A deliberately broken store: it returns whatever it holds, whoever asks.</summary>
    private sealed class FilterForgettingStore(params StoredHit[] hits) : IVectorStore
    {
        public Task EnsureSchemaAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<CollectionInfo?> FindCollectionAsync(CollectionKey key, CancellationToken cancellationToken) =>
            Task.FromResult<CollectionInfo?>(new CollectionInfo(key, 3, MemoryIsolation.SharedCollection));

        public Task<IReadOnlyList<CollectionSummary>> ListCollectionsAsync(string tenantId, string? after, int limit, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<CollectionSummary>>([]);

        public Task<CollectionInfo> CreateCollectionAsync(CollectionKey key, int dimension, MemoryIsolation isolation, CancellationToken cancellationToken) =>
            Task.FromResult(new CollectionInfo(key, dimension, isolation));

        public Task UpsertAsync(CollectionInfo collection, IReadOnlyList<StoredPoint> points, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IReadOnlyList<StoredHit>> SearchAsync(CollectionInfo collection, float[] vector, PayloadFilter filter, int limit, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<StoredHit>>(hits);

        public Task DeleteCollectionAsync(CollectionInfo collection, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<int> DeleteTenantAsync(string tenantId, CancellationToken cancellationToken) => Task.FromResult(0);
    }

    private sealed class ListLogger : ILogger<MemoryService>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
