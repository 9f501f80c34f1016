using System.Text.Json.Nodes;

namespace AgentCloud.Memory.Domain;

/// <summary>How a tenant's collections are laid out, from its policy's <c>MemoryIsolation</c>.</summary>
public enum MemoryIsolation
{
    /// <summary>One store collection for many tenants; <c>tenant_id</c> on every point and in every condition.</summary>
    SharedCollection,

    /// <summary>A store collection (Qdrant collection / Postgres table) of the tenant's own.</summary>
    DedicatedCollection,
}

/// <summary>A tenant's collection as the tenant names it: A's <c>notes</c> and B's <c>notes</c> are different keys.</summary>
public sealed record CollectionKey(string TenantId, string Name);

/// <summary>A tenant's collection: its vector dimension (fixed at the first write) and where it lives.</summary>
public sealed record CollectionInfo(CollectionKey Key, int Dimension, MemoryIsolation Isolation);

/// <summary>A point as stored: a derived id, the user's id as JSON text, and the user's payload kept apart from system fields.</summary>
public sealed record StoredPoint(Guid Id, string UserIdJson, float[] Vector, JsonObject Payload);

/// <summary>A search hit with the tenant and collection the store says it belongs to.</summary>
public sealed record StoredHit(string TenantId, string Collection, string UserIdJson, double Score, JsonObject Payload);
