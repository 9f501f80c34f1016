using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.Memory.Domain;

/// <summary>One point to store: the user's id, and a text to embed or a vector, with an optional payload.</summary>
public sealed record PointInput(JsonElement Id, string? Text, float[]? Vector, JsonObject? Payload);

public sealed record UpsertRequest(IReadOnlyList<PointInput>? Points);

public sealed record UpsertResult(string Collection, int Upserted, int Dimension);

public sealed record SearchRequest(string? Text, float[]? Vector, int? Limit, JsonObject? Filter);

public sealed record SearchResult(JsonNode? Id, double Score, JsonObject Payload);

public sealed record SearchResponse(IReadOnlyList<SearchResult> Results);

/// <summary>One page of the caller's collections, by name; <c>NextCursor</c> (the last name) asks for the next.</summary>
public sealed record CollectionListResponse(IReadOnlyList<CollectionSummary> Collections, string? NextCursor);
