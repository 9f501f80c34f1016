using AgentCloud.Platform.Contracts;
using System.Text.Json.Nodes;

namespace AgentCloud.Memory.Domain;

/// <summary>A tenant's collection as the tenant names it: A's <c>notes</c> and B's <c>notes</c> are different keys.</summary>
public sealed record CollectionKey(string TenantId, string Name);

/// <summary>A tenant's collection: its vector dimension (fixed at the first write) and where it lives.</summary>
public sealed record CollectionInfo(CollectionKey Key, int Dimension, MemoryIsolation Isolation);

/// <summary>A collection as its tenant's listing shows it: the name, dimension, layout and how many points it holds.</summary>
public sealed record CollectionSummary(string Name, int Dimension, MemoryIsolation Isolation, long Points);

/// <summary>A point as stored: a derived id, the user's id as JSON text, and the user's payload kept apart from system fields.</summary>
public sealed record StoredPoint(Guid Id, string UserIdJson, float[] Vector, JsonObject Payload);

/// <summary>A search hit with the tenant and collection the store says it belongs to.</summary>
public sealed record StoredHit(string TenantId, string Collection, string UserIdJson, double Score, JsonObject Payload);
