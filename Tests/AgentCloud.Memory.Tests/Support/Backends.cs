using AgentCloud.Tests.Shared;

namespace AgentCloud.Memory.Tests.Support;

/// <summary>Memory on Postgres with pgvector: a real server, a fresh database with the vector extension.</summary>
public sealed class PgvectorBackend : IAsyncLifetime
{
    public PostgresServerFixture Postgres { get; } = new();

    public string ConnectionString { get; private set; } = "";

    public MemoryApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Postgres.InitializeAsync();
        ConnectionString = await Postgres.CreateDatabaseAsync(null, "vector");
        App = MemoryApp.OnPgvector(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PgvectorCollection : ICollectionFixture<PgvectorBackend>
{
    public const string Name = "pgvector";
}

/// <summary>Memory on the Qdrant named by <see cref="Variable"/>, when it is set.</summary>
public sealed class QdrantBackend : IAsyncLifetime
{
    public const string Variable = "AGENTCLOUD_TEST_QDRANT";
    public const string SkipReason = "Qdrant tests skipped: set AGENTCLOUD_TEST_QDRANT=Endpoint=http://host:grpcport;Key=apikey to run them";

    public MemoryApp App { get; private set; } = null!;

    public Task InitializeAsync()
    {
        var connection = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(connection))
        {
            App = MemoryApp.OnQdrant(connection);
        }
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class QdrantCollection : ICollectionFixture<QdrantBackend>
{
    public const string Name = "qdrant";
}
