using AgentCloud.Platform.Contracts;
using AgentCloud.Memory.Domain;
using AgentCloud.Platform.Faults;
using Microsoft.Extensions.Options;

namespace AgentCloud.Memory.Backends;

/// <summary>
/// Puts a deadline on every request-path call to the vector store, so a store that is away (stopped, partitioned,
/// refusing connections) becomes 503 with Retry-After within <see cref="MemoryOptions.StoreDeadline"/> instead of
/// a hang or a 500. Schema creation at start and offboarding run in the background and keep no deadline.
/// </summary>
public sealed class DeadlineVectorStore(IVectorStore inner, IOptions<MemoryOptions> options) : IVectorStore
{
    private const string Store = "vector";

    private TimeSpan Deadline => options.Value.StoreDeadline;

    public Task EnsureSchemaAsync(CancellationToken cancellationToken) => inner.EnsureSchemaAsync(cancellationToken);

    public Task<CollectionInfo?> FindCollectionAsync(CollectionKey key, CancellationToken cancellationToken) =>
        Guard(Deadline, ct => inner.FindCollectionAsync(key, ct), cancellationToken);

    public Task<IReadOnlyList<CollectionSummary>> ListCollectionsAsync(string tenantId, string? after, int limit, CancellationToken cancellationToken) =>
        Guard(Deadline, ct => inner.ListCollectionsAsync(tenantId, after, limit, ct), cancellationToken);

    public Task<CollectionInfo> CreateCollectionAsync(CollectionKey key, int dimension, MemoryIsolation isolation, CancellationToken cancellationToken) =>
        Guard(Deadline, ct => inner.CreateCollectionAsync(key, dimension, isolation, ct), cancellationToken);

    /// <summary>A large upsert gets a little longer per point; points are keyed by id, so a retry after a 503 is harmless.</summary>
    public Task UpsertAsync(CollectionInfo collection, IReadOnlyList<StoredPoint> points, CancellationToken cancellationToken) =>
        Guard(Deadline + options.Value.StoreDeadlinePerPoint * points.Count, ct => inner.UpsertAsync(collection, points, ct), cancellationToken);

    public Task<IReadOnlyList<StoredHit>> SearchAsync(CollectionInfo collection, float[] vector, PayloadFilter filter, int limit, CancellationToken cancellationToken) =>
        Guard(Deadline, ct => inner.SearchAsync(collection, vector, filter, limit, ct), cancellationToken);

    public Task DeleteCollectionAsync(CollectionInfo collection, CancellationToken cancellationToken) =>
        Guard(Deadline, ct => inner.DeleteCollectionAsync(collection, ct), cancellationToken);

    /// <summary>The deadline, and Qdrant's "unavailable" (gRPC) read as the store being away too.</summary>
    private static async Task<T> Guard<T>(TimeSpan deadline, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await StoreDeadline.RunAsync(Store, deadline, call, cancellationToken);
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded)
        {
            throw new StoreUnavailableException(Store, StoreDeadline.DefaultRetryAfter, e);
        }
    }

    private static Task Guard(TimeSpan deadline, Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        Guard(deadline, async ct =>
        {
            await call(ct);
            return true;
        }, cancellationToken);

    public Task<int> DeleteTenantAsync(string tenantId, CancellationToken cancellationToken) => inner.DeleteTenantAsync(tenantId, cancellationToken);
}
