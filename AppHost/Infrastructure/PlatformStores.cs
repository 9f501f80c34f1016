namespace AgentCloud.AppHost.Infrastructure;

/// <summary>
/// One store as the services see it: the connection string they reference, and the resource they wait for
/// (the same resource for containers; the server executable behind a connection string in local mode).
/// </summary>
public sealed record Store(IResourceBuilder<IResourceWithConnectionString> Connection, IResourceBuilder<IResource> Server);

public enum VectorBackend
{
    Qdrant,
    Pgvector,
}

/// <summary>The vector store Memory gets: Qdrant where it can run, otherwise Postgres with pgvector, and why.</summary>
public sealed record VectorStore(Store Store, VectorBackend Backend, string? Reason);

/// <summary>Every store of the platform, whichever mode runs them.</summary>
public sealed record PlatformStores(InfrastructureMode Mode, Store Redis, Store ControlPlaneDb, Store UsageDb, VectorStore Vector);

public static class StoreNames
{
    public const string Redis = "redis";
    public const string Postgres = "postgres";
    public const string ControlPlaneDb = "controlplane-db";
    public const string UsageDb = "usage-db";
    public const string MemoryDb = "memory-db";
    public const string Qdrant = "qdrant";

    /// <summary>Database names inside Postgres, keyed by their connection-string resource name.</summary>
    public static readonly IReadOnlyDictionary<string, string> Databases = new Dictionary<string, string>
    {
        [ControlPlaneDb] = "controlplane",
        [UsageDb] = "usage",
        [MemoryDb] = "memory",
    };
}
