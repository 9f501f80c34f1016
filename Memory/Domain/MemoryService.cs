using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentCloud.Memory.Backends;
using AgentCloud.Memory.Embeddings;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.Extensions.Options;

namespace AgentCloud.Memory.Domain;

/// <summary>
/// Tenant-scoped vector memory: validates input, picks the layout from the tenant's policy, embeds texts, and checks
/// every search hit against the caller's tenant before returning it, whatever the store's own filter did.
/// </summary>
public sealed partial class MemoryService(IVectorStore store, ITextEmbedder embedder, ITenantPolicySource policies,
    IOptions<MemoryOptions> options, MemoryMetrics metrics, ILogger<MemoryService> logger)
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex CollectionName();

    public async Task<UpsertResult> UpsertAsync(TenantContext caller, string collection, UpsertRequest request, CancellationToken cancellationToken)
    {
        var key = KeyOf(caller, collection);
        var points = ValidatePoints(request);
        var existing = await store.FindCollectionAsync(key, cancellationToken);
        if (existing is not null && points.FirstOrDefault(p => p.Vector is not null && p.Vector.Length != existing.Dimension) is { } wrong)
        {
            // Checked before embedding so a bad call never spends the tenant's tokens.
            throw DimensionMismatch($"The point {wrong.UserIdJson}", wrong.Vector!.Length, existing.Dimension, $"collection '{collection}'");
        }

        var texts = points.Where(p => p.Vector is null).Select(p => p.Text!).ToList();
        var embedded = texts.Count > 0 ? await embedder.EmbedAsync(texts, cancellationToken) : [];
        var vectors = new float[points.Count][];
        for (int i = 0, t = 0; i < points.Count; i++)
        {
            vectors[i] = points[i].Vector ?? embedded[t++];
        }
        var dimension = vectors[0].Length;
        for (var i = 0; i < vectors.Length; i++)
        {
            CheckVector(vectors[i], $"points[{i}].vector");
            if (vectors[i].Length != dimension)
            {
                throw DimensionMismatch($"points[{i}]", vectors[i].Length, dimension, "the first point of this call");
            }
        }

        var info = existing ?? await store.CreateCollectionAsync(key, dimension, await IsolationOfAsync(caller, cancellationToken), cancellationToken);
        if (info.Dimension != dimension)
        {
            throw DimensionMismatch("the points", dimension, info.Dimension, $"collection '{collection}'");
        }
        var stored = points.Select((p, i) => new StoredPoint(PointIds.StoreId(key, p.UserIdJson), p.UserIdJson, vectors[i], p.Payload)).ToList();
        await store.UpsertAsync(info, stored, cancellationToken);
        metrics.Upserted(stored.Count);
        return new UpsertResult(collection, stored.Count, info.Dimension);
    }

    public async Task<SearchResponse> SearchAsync(TenantContext caller, string collection, SearchRequest request, CancellationToken cancellationToken)
    {
        var key = KeyOf(caller, collection);
        var o = options.Value;
        var limit = request.Limit ?? o.DefaultSearchLimit;
        if (limit < 1 || limit > o.MaxSearchLimit)
        {
            throw MemoryException.BadRequest($"limit must be between 1 and {o.MaxSearchLimit}, not {limit}.");
        }
        CheckTextOrVector(request.Text, request.Vector, "The search");
        var filter = PayloadFilter.Parse(request.Filter);
        var info = await store.FindCollectionAsync(key, cancellationToken) ?? throw UnknownCollection(collection);

        var vector = request.Vector ?? (await embedder.EmbedAsync([request.Text!], cancellationToken))[0];
        CheckVector(vector, "vector");
        if (vector.Length != info.Dimension)
        {
            throw DimensionMismatch("The search vector", vector.Length, info.Dimension, $"collection '{collection}'");
        }
        var hits = await store.SearchAsync(info, vector, filter, limit, cancellationToken);
        metrics.Searched();
        return new SearchResponse(Authorize(key, hits));
    }

    /// <summary>The caller's own collections after <paramref name="cursor"/>, a page of <paramref name="limit"/> (the store is asked for one more to know if there is a next).</summary>
    public async Task<CollectionListResponse> ListCollectionsAsync(TenantContext caller, string? cursor, int limit, CancellationToken cancellationToken)
    {
        if (cursor is not null && !CollectionName().IsMatch(cursor))
        {
            throw MemoryException.BadRequest("'cursor' must be the 'nextCursor' of a previous page.");
        }
        var found = await store.ListCollectionsAsync(caller.TenantId, cursor, limit + 1, cancellationToken);
        var page = found.Count > limit ? found.Take(limit).ToList() : found;
        return new CollectionListResponse(page, found.Count > limit ? page[^1].Name : null);
    }

    public async Task DeleteCollectionAsync(TenantContext caller, string collection, CancellationToken cancellationToken)
    {
        var key = KeyOf(caller, collection);
        var info = await store.FindCollectionAsync(key, cancellationToken) ?? throw UnknownCollection(collection);
        await store.DeleteCollectionAsync(info, cancellationToken);
    }

    /// <summary>Deletes everything the tenant stored, in every collection and both layouts (offboarding).</summary>
    public async Task<int> OffboardTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        var removed = await store.DeleteTenantAsync(tenantId, cancellationToken);
        logger.LogInformation("Offboarded tenant {TenantId} from memory: {Collections} collections removed", tenantId, removed);
        return removed;
    }

    /// <summary>
    /// The second authorization layer: a hit the store returns for another tenant or collection is dropped,
    /// logged and counted, never returned, so one forgotten store filter cannot leak (OWASP LLM08:2025).
    /// </summary>
    private List<SearchResult> Authorize(CollectionKey key, IReadOnlyList<StoredHit> hits)
    {
        var results = new List<SearchResult>(hits.Count);
        foreach (var hit in hits)
        {
            if (!string.Equals(hit.TenantId, key.TenantId, StringComparison.Ordinal) || !string.Equals(hit.Collection, key.Name, StringComparison.Ordinal))
            {
                metrics.ForeignResultDropped(store.GetType().Name);
                logger.LogError("Dropped a search hit of tenant {HitTenant} collection {HitCollection} returned to tenant {TenantId} collection {Collection}: the store's tenant filter failed",
                    hit.TenantId, hit.Collection, key.TenantId, key.Name);
                continue;
            }
            results.Add(new SearchResult(JsonNode.Parse(hit.UserIdJson), hit.Score, hit.Payload));
        }
        return results;
    }

    private List<ValidPoint> ValidatePoints(UpsertRequest request)
    {
        var o = options.Value;
        if (request.Points is not { Count: > 0 } points)
        {
            throw MemoryException.BadRequest("Give at least one point: {\"points\": [{\"id\": \"...\", \"text\": \"...\"}]}.");
        }
        if (points.Count > o.MaxPointsPerCall)
        {
            throw new MemoryException(413, "too-many-points", "Too many points",
                $"A call stores at most {o.MaxPointsPerCall} points; this one has {points.Count}. Split it into several calls.");
        }
        var valid = new List<ValidPoint>(points.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i] ?? throw MemoryException.BadRequest($"points[{i}] is null.");
            var id = PointIds.Canonical(p.Id, i);
            if (!seen.Add(id))
            {
                throw MemoryException.BadRequest($"points[{i}].id {id} appears twice in this call.");
            }
            CheckTextOrVector(p.Text, p.Vector, $"points[{i}]");
            valid.Add(new ValidPoint(id, p.Text, p.Vector, CheckPayload(p.Payload, i)));
        }
        return valid;
    }

    private void CheckTextOrVector(string? text, float[]? vector, string what)
    {
        var o = options.Value;
        if ((text is null) == (vector is null))
        {
            throw MemoryException.BadRequest($"{what} needs exactly one of 'text' (embedded with {o.EmbeddingModel}) or 'vector'.");
        }
        if (text is not null && string.IsNullOrWhiteSpace(text))
        {
            throw MemoryException.BadRequest($"{what} has an empty text; there is nothing to embed.");
        }
        if (text is not null && text.Contains('\0'))
        {
            throw MemoryException.BadRequest($"{what} has a text with a NUL character; remove it (no store keeps NUL in text).");
        }
        if (text is not null && text.Length > o.MaxTextLength)
        {
            throw MemoryException.BadRequest($"{what} has a text of {text.Length} characters; at most {o.MaxTextLength} are embedded.");
        }
        if (vector is not null)
        {
            CheckVector(vector, what + ".vector");
        }
    }

    private void CheckVector(float[] vector, string what)
    {
        if (vector.Length == 0 || vector.Length > options.Value.MaxDimension)
        {
            throw MemoryException.BadRequest($"{what} must have 1 to {options.Value.MaxDimension} dimensions, not {vector.Length}.");
        }
        if (!vector.All(float.IsFinite))
        {
            throw MemoryException.BadRequest($"{what} holds a value that is not a finite number.");
        }
        if (vector.All(v => v == 0))
        {
            throw MemoryException.BadRequest($"{what} is all zeros; cosine similarity needs a direction.");
        }
    }

    private JsonObject CheckPayload(JsonObject? payload, int index)
    {
        if (payload is null)
        {
            return [];
        }
        foreach (var (field, _) in payload)
        {
            PayloadFilter.CheckFieldName(field, $"points[{index}].payload");
        }
        var serialized = JsonSerializer.SerializeToUtf8Bytes(payload);
        var bytes = serialized.Length;
        if (bytes > options.Value.MaxPayloadBytes)
        {
            throw MemoryException.BadRequest($"points[{index}].payload is {bytes} bytes; at most {options.Value.MaxPayloadBytes} are stored per point.");
        }
        // JSON may escape a NUL (\u0000) in a name or string, but no store keeps it (Postgres jsonb refuses it outright).
        if (serialized.AsSpan().IndexOf("\\u0000"u8) >= 0)
        {
            throw MemoryException.BadRequest($"points[{index}].payload holds a NUL character (\\u0000) in a name or string; remove it.");
        }
        return (JsonObject)payload.DeepClone();
    }

    private async Task<MemoryIsolation> IsolationOfAsync(TenantContext caller, CancellationToken cancellationToken)
    {
        TenantPolicy? policy;
        try
        {
            policy = await policies.GetAsync(caller, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not read the policy of tenant {TenantId}", caller.TenantId);
            // A 503 with Retry-After, like any store that is away: the ControlPlane holds the policy.
            throw new AgentCloud.Platform.Faults.StoreUnavailableException("tenant policy", AgentCloud.Platform.Faults.StoreDeadline.DefaultRetryAfter, e);
        }
        if (policy is null)
        {
            throw MemoryException.NotFound("The calling tenant no longer exists.");
        }
        // A value this build does not know cannot arrive: the wire enum refuses it when the policy is read.
        return policy.MemoryIsolation;
    }

    private static CollectionKey KeyOf(TenantContext caller, string collection)
    {
        if (!CollectionName().IsMatch(collection))
        {
            throw MemoryException.BadRequest("A collection name is 1 to 64 letters, digits, '_', '-' or '.', starting with a letter or digit.");
        }
        return new CollectionKey(caller.TenantId, collection);
    }

    private static MemoryException UnknownCollection(string collection) =>
        MemoryException.NotFound($"This tenant has no memory collection '{collection}'; store points in it first.");

    private static MemoryException DimensionMismatch(string what, int got, int expected, string of) =>
        new(400, "dimension-mismatch", "Wrong vector dimension", $"{what} has {got} dimensions but {of} has {expected}.");

    private sealed record ValidPoint(string UserIdJson, string? Text, float[]? Vector, JsonObject Payload);
}
