using AgentCloud.Platform.Contracts;
using System.Collections.Concurrent;
using System.Text.Json;
using AgentCloud.Memory.Domain;
using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using static Qdrant.Client.Grpc.Conditions;
using CollectionInfo = AgentCloud.Memory.Domain.CollectionInfo;

namespace AgentCloud.Memory.Backends;

/// <summary>
/// Qdrant over gRPC. Shared-collection tenants' points live in one Qdrant collection per vector dimension with a
/// <c>tenant_id</c> keyword index marked <c>is_tenant</c>; dedicated-collection tenants get a Qdrant collection per
/// collection. A registry collection records each tenant's collections. The user's payload sits under
/// <c>payload</c>, beside the system fields it can never set, and every read, write and delete carries the tenant condition.
/// </summary>
public sealed class QdrantStore(QdrantClient client) : IVectorStore
{
    public const string RegistryCollection = "agentcloud_memory_registry";
    public const string SharedPrefix = "agentcloud_memory_shared_d";
    private const string DedicatedPrefix = "agentcloud_memory_t_";
    private const string TenantField = "tenant_id";
    private const string CollectionField = "collection";
    private const string UserIdField = "user_id";
    private const string PayloadField = "payload";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, bool> _known = new();

    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        await EnsurePhysicalAsync(RegistryCollection, 1, cancellationToken);
    }

    public async Task<CollectionInfo?> FindCollectionAsync(CollectionKey key, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        var found = await client.RetrieveAsync(RegistryCollection, RegistryId(key), withPayload: true, withVectors: false, cancellationToken: cancellationToken);
        var entry = found.Count > 0 ? found[0] : null;
        if (entry is null || entry.Payload[TenantField].StringValue != key.TenantId || entry.Payload[CollectionField].StringValue != key.Name)
        {
            return null;
        }
        return new CollectionInfo(key, (int)entry.Payload["dimension"].IntegerValue, Enum.Parse<MemoryIsolation>(entry.Payload["isolation"].StringValue));
    }

    public async Task<IReadOnlyList<CollectionSummary>> ListCollectionsAsync(string tenantId, string? after, int limit, CancellationToken cancellationToken)
    {
        var entries = await RegisteredAsync(tenantId, cancellationToken);
        var page = entries.Where(e => after is null || string.CompareOrdinal(e.Key.Name, after) > 0)
            .OrderBy(e => e.Key.Name, StringComparer.Ordinal).Take(limit).ToList();
        var summaries = new List<CollectionSummary>(page.Count);
        foreach (var entry in page)
        {
            var points = await client.CountAsync(Physical(entry), TenantFilter(entry.Key), exact: true, cancellationToken: cancellationToken);
            summaries.Add(new CollectionSummary(entry.Key.Name, entry.Dimension, entry.Isolation, (long)points));
        }
        return summaries;
    }

    public async Task<CollectionInfo> CreateCollectionAsync(CollectionKey key, int dimension, MemoryIsolation isolation, CancellationToken cancellationToken)
    {
        // Qdrant has no conditional insert: one creator at a time within this replica, and the first registration wins.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (await FindCollectionAsync(key, cancellationToken) is { } existing)
            {
                return existing;
            }
            await EnsurePhysicalAsync(PhysicalName(key, isolation, dimension), (ulong)dimension, cancellationToken);
            var entry = new PointStruct { Id = RegistryId(key), Vectors = new[] { 1f } };
            entry.Payload[TenantField] = key.TenantId;
            entry.Payload[CollectionField] = key.Name;
            entry.Payload["dimension"] = dimension;
            entry.Payload["isolation"] = isolation.ToString();
            await client.UpsertAsync(RegistryCollection, [entry], wait: true, cancellationToken: cancellationToken);
            return new CollectionInfo(key, dimension, isolation);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task UpsertAsync(CollectionInfo collection, IReadOnlyList<StoredPoint> points, CancellationToken cancellationToken)
    {
        var structs = points.Select(p =>
        {
            var point = new PointStruct { Id = p.Id, Vectors = p.Vector };
            point.Payload[TenantField] = collection.Key.TenantId;
            point.Payload[CollectionField] = collection.Key.Name;
            point.Payload[UserIdField] = p.UserIdJson;
            point.Payload[PayloadField] = QdrantPayload.ToValue(p.Payload);
            return point;
        }).ToList();
        await client.UpsertAsync(Physical(collection), structs, wait: true, cancellationToken: cancellationToken);
    }

    public async Task<IReadOnlyList<StoredHit>> SearchAsync(CollectionInfo collection, float[] vector, PayloadFilter filter, int limit, CancellationToken cancellationToken)
    {
        var conditions = TenantFilter(collection.Key);
        foreach (var c in filter.Conditions)
        {
            var field = $"{PayloadField}.{c.Field}";
            var any = new Filter();
            any.Should.AddRange(c.AnyOf.Select(v => ValueCondition(field, v)));
            conditions.Must.Add(Conditions.Filter(any));
        }
        var points = await client.QueryAsync(Physical(collection), query: vector, filter: conditions, limit: (ulong)limit,
            payloadSelector: true, cancellationToken: cancellationToken);
        return [.. points.Select(p => new StoredHit(
            p.Payload.TryGetValue(TenantField, out var t) ? t.StringValue : "",
            p.Payload.TryGetValue(CollectionField, out var c) ? c.StringValue : "",
            p.Payload.TryGetValue(UserIdField, out var id) ? id.StringValue : "null",
            p.Score,
            p.Payload.TryGetValue(PayloadField, out var payload) && payload.KindCase == Value.KindOneofCase.StructValue
                ? QdrantPayload.ToJsonObject(payload.StructValue.Fields) : []))];
    }

    public async Task DeleteCollectionAsync(CollectionInfo collection, CancellationToken cancellationToken)
    {
        await DeleteAsync(collection, cancellationToken);
    }

    public async Task<int> DeleteTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        var entries = await RegisteredAsync(tenantId, cancellationToken);
        foreach (var entry in entries)
        {
            await DeleteAsync(entry, cancellationToken);
        }
        // Belt and braces: sweep every shared collection for the tenant's points, registered or not.
        foreach (var name in (await client.ListCollectionsAsync(cancellationToken)).Where(n => n.StartsWith(SharedPrefix, StringComparison.Ordinal)))
        {
            await client.DeleteAsync(name, MatchKeyword(TenantField, tenantId), wait: true, cancellationToken: cancellationToken);
        }
        return entries.Count;
    }

    /// <summary>The tenant's registry entries, every page of them; an entry naming another tenant is never taken.</summary>
    private async Task<List<CollectionInfo>> RegisteredAsync(string tenantId, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        var entries = new List<CollectionInfo>();
        PointId? offset = null;
        do
        {
            var page = await client.ScrollAsync(RegistryCollection, MatchKeyword(TenantField, tenantId), limit: 256, offset: offset,
                payloadSelector: true, cancellationToken: cancellationToken);
            entries.AddRange(page.Result
                .Where(p => p.Payload[TenantField].StringValue == tenantId)
                .Select(p => new CollectionInfo(new CollectionKey(tenantId, p.Payload[CollectionField].StringValue),
                    (int)p.Payload["dimension"].IntegerValue, Enum.Parse<MemoryIsolation>(p.Payload["isolation"].StringValue))));
            offset = page.NextPageOffset;
        }
        while (offset is not null);
        return entries;
    }

    private async Task DeleteAsync(CollectionInfo collection, CancellationToken cancellationToken)
    {
        if (collection.Isolation == MemoryIsolation.DedicatedCollection)
        {
            await client.DeleteCollectionAsync(Physical(collection), cancellationToken: cancellationToken);
            _known.TryRemove(Physical(collection), out _);
        }
        else
        {
            await client.DeleteAsync(Physical(collection), TenantFilter(collection.Key), wait: true, cancellationToken: cancellationToken);
        }
        await client.DeleteAsync(RegistryCollection, RegistryId(collection.Key), wait: true, cancellationToken: cancellationToken);
    }

    private static Filter TenantFilter(CollectionKey key)
    {
        var filter = new Filter();
        filter.Must.Add(MatchKeyword(TenantField, key.TenantId));
        filter.Must.Add(MatchKeyword(CollectionField, key.Name));
        return filter;
    }

    private static Condition ValueCondition(string field, System.Text.Json.Nodes.JsonValue value) => value.GetValueKind() switch
    {
        JsonValueKind.String => MatchKeyword(field, value.GetValue<string>()),
        JsonValueKind.True => Match(field, true),
        JsonValueKind.False => Match(field, false),
        _ when QdrantPayload.IsInteger(value, out var n) => Match(field, n),
        _ => Conditions.Range(field, new Qdrant.Client.Grpc.Range { Gte = value.GetValue<double>(), Lte = value.GetValue<double>() }),
    };

    private async Task EnsurePhysicalAsync(string name, ulong dimension, CancellationToken cancellationToken)
    {
        if (_known.ContainsKey(name))
        {
            return;
        }
        if (!await client.CollectionExistsAsync(name, cancellationToken))
        {
            try
            {
                await client.CreateCollectionAsync(name, new VectorParams { Size = dimension, Distance = Distance.Cosine }, cancellationToken: cancellationToken);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
            {
                // another replica created it first
            }
            await client.CreatePayloadIndexAsync(name, TenantField, PayloadSchemaType.Keyword,
                new PayloadIndexParams { KeywordIndexParams = new KeywordIndexParams { IsTenant = true } }, cancellationToken: cancellationToken);
            await client.CreatePayloadIndexAsync(name, CollectionField, PayloadSchemaType.Keyword, cancellationToken: cancellationToken);
        }
        _known[name] = true;
    }

    private static string Physical(CollectionInfo c) => PhysicalName(c.Key, c.Isolation, c.Dimension);

    private static string PhysicalName(CollectionKey key, MemoryIsolation isolation, int dimension) =>
        isolation == MemoryIsolation.DedicatedCollection ? PointIds.PhysicalName(DedicatedPrefix, key) : SharedPrefix + dimension;

    private static Guid RegistryId(CollectionKey key) => PointIds.StoreId(key, "\"registry\"");
}
