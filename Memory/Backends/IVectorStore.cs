using AgentCloud.Platform.Contracts;
using AgentCloud.Memory.Domain;

namespace AgentCloud.Memory.Backends;

/// <summary>
/// A vector store that knows tenants: every call names the tenant's collection, and every hit says which
/// tenant and collection it was read from, so the service can check it (the second authorization layer).
/// </summary>
public interface IVectorStore
{
    /// <summary>Creates what the store needs (registry, shared tables); idempotent.</summary>
    Task EnsureSchemaAsync(CancellationToken cancellationToken);

    /// <summary>The tenant's collection, or null when the tenant has none of that name.</summary>
    Task<CollectionInfo?> FindCollectionAsync(CollectionKey key, CancellationToken cancellationToken);

    /// <summary>Creates the tenant's collection; when it already exists returns it as it is (its dimension may differ).</summary>
    /// <summary>The tenant's collections named after <paramref name="after"/> (all when null), by name, at most <paramref name="limit"/>, with their point counts.</summary>
    Task<IReadOnlyList<CollectionSummary>> ListCollectionsAsync(string tenantId, string? after, int limit, CancellationToken cancellationToken);

    Task<CollectionInfo> CreateCollectionAsync(CollectionKey key, int dimension, MemoryIsolation isolation, CancellationToken cancellationToken);

    Task UpsertAsync(CollectionInfo collection, IReadOnlyList<StoredPoint> points, CancellationToken cancellationToken);

    /// <summary>The nearest points of the tenant's collection that match the filter, best first (cosine similarity).</summary>
    Task<IReadOnlyList<StoredHit>> SearchAsync(CollectionInfo collection, float[] vector, PayloadFilter filter, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes the tenant's collection and its points, and nothing of anyone else.</summary>
    Task DeleteCollectionAsync(CollectionInfo collection, CancellationToken cancellationToken);

    /// <summary>Deletes every point and collection of the tenant, in both isolation modes; returns the number of collections removed.</summary>
    Task<int> DeleteTenantAsync(string tenantId, CancellationToken cancellationToken);
}
