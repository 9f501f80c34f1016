using AgentCloud.AppHost.Qdrant;

namespace AgentCloud.AppHost.Infrastructure;

/// <summary>The stores as containers, with data volumes so state survives restarts.</summary>
internal static class ContainerInfrastructure
{
    public static PlatformStores Add(IDistributedApplicationBuilder builder)
    {
        var redis = builder.AddRedis(StoreNames.Redis).WithDataVolume();
        var postgres = builder.AddPostgres(StoreNames.Postgres).WithDataVolume();
        var controlPlaneDb = postgres.AddDatabase(StoreNames.ControlPlaneDb, StoreNames.Databases[StoreNames.ControlPlaneDb]);
        var usageDb = postgres.AddDatabase(StoreNames.UsageDb, StoreNames.Databases[StoreNames.UsageDb]);
        var qdrant = builder.AddQdrant(StoreNames.Qdrant).WithDataVolume();

        return new PlatformStores(
            InfrastructureMode.Containers,
            new Store(redis, redis),
            new Store(controlPlaneDb, controlPlaneDb),
            new Store(usageDb, usageDb),
            new VectorStore(new Store(qdrant, qdrant), VectorBackend.Qdrant, null));
    }
}
