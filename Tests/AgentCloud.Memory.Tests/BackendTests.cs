using AgentCloud.Memory.Tests.Support;

namespace AgentCloud.Memory.Tests;

[Collection(PgvectorCollection.Name)]
public sealed class Pgvector_shared_collection(PgvectorBackend backend) : MemoryBackendContract
{
    protected override MemoryApp App => backend.App;
    protected override string TenantPrefix => "shr-";
}

[Collection(PgvectorCollection.Name)]
public sealed class Pgvector_dedicated_collection(PgvectorBackend backend) : MemoryBackendContract
{
    protected override MemoryApp App => backend.App;
    protected override string TenantPrefix => FixedTenantPolicies.DedicatedPrefix;
}

[Collection(QdrantCollection.Name)]
[RequiresEnvironment(QdrantBackend.Variable, QdrantBackend.SkipReason)]
public sealed class Qdrant_shared_collection(QdrantBackend backend) : MemoryBackendContract
{
    protected override MemoryApp App => backend.App;
    protected override string TenantPrefix => "shr-";
}

[Collection(QdrantCollection.Name)]
[RequiresEnvironment(QdrantBackend.Variable, QdrantBackend.SkipReason)]
public sealed class Qdrant_dedicated_collection(QdrantBackend backend) : MemoryBackendContract
{
    protected override MemoryApp App => backend.App;
    protected override string TenantPrefix => FixedTenantPolicies.DedicatedPrefix;
}
