using AgentCloud.Memory.Domain;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.Memory.Apis;

/// <summary><c>/v1/memory/{collection}</c>: the tenant's own vector collections (see docs/api.md).</summary>
public static class MemoryApi
{
    public const string ReadCapability = "memory:read";
    public const string WriteCapability = "memory:write";

    /// <summary>Maps upsert, search and delete of the caller's collections; <c>memory:write</c> or <c>memory:read</c> required.</summary>
    public static RouteGroupBuilder MapMemoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/memory", ListCollections);
        var api = app.MapGroup("/v1/memory/{collection}");
        api.MapPut("/points", UpsertPoints);
        api.MapPost("/search", Search);
        api.MapDelete("/", DeleteCollection);
        return api;
    }

    public const int DefaultListLimit = 100;
    public const int MaxListLimit = 500;

    /// <summary><c>GET /v1/memory</c>: the caller's collections with their point counts, by name, a page at a time.</summary>
    public static async Task<Results<Ok<CollectionListResponse>, ProblemHttpResult>> ListCollections(
        TenantContext ctx, string? limit, string? cursor, MemoryService memory, CancellationToken cancellationToken) =>
        await Guarded(ctx, ReadCapability, async () =>
        {
            var size = DefaultListLimit;
            if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxListLimit))
            {
                throw MemoryException.BadRequest($"'limit' must be a whole number from 1 to {MaxListLimit}.");
            }
            return TypedResults.Ok(await memory.ListCollectionsAsync(ctx, cursor, size, cancellationToken));
        });

    public static async Task<Results<Ok<UpsertResult>, ProblemHttpResult>> UpsertPoints(
        TenantContext ctx, string collection, UpsertRequest request, MemoryService memory, CancellationToken cancellationToken) =>
        await Guarded(ctx, WriteCapability, async () => TypedResults.Ok(await memory.UpsertAsync(ctx, collection, request, cancellationToken)));

    public static async Task<Results<Ok<SearchResponse>, ProblemHttpResult>> Search(
        TenantContext ctx, string collection, SearchRequest request, MemoryService memory, CancellationToken cancellationToken) =>
        await Guarded(ctx, ReadCapability, async () => TypedResults.Ok(await memory.SearchAsync(ctx, collection, request, cancellationToken)));

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteCollection(
        TenantContext ctx, string collection, MemoryService memory, CancellationToken cancellationToken) =>
        await Guarded(ctx, WriteCapability, async () =>
        {
            await memory.DeleteCollectionAsync(ctx, collection, cancellationToken);
            return TypedResults.NoContent();
        });

    private static async Task<Results<T, ProblemHttpResult>> Guarded<T>(TenantContext ctx, string capability, Func<Task<T>> action)
        where T : IResult
    {
        if (!ctx.Has(capability))
        {
            return Problems.Forbidden($"This call needs the '{capability}' capability, which the caller's key does not have.");
        }
        try
        {
            return await action();
        }
        catch (MemoryException e)
        {
            // Store refusals (503 with Retry-After) go on to the shared refusal handler.
            return e.ToResult();
        }
    }
}
