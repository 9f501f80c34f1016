using Npgsql;
using AgentCloud.Memory.Backends;
using Qdrant.Client;

namespace AgentCloud.Memory.Extensions;

internal static class Extensions
{
    public const string QdrantConnectionName = "qdrant";
    public const string PgvectorConnectionName = "memory-db";

    /// <summary>Wires the vector backend the AppHost chose, with a health check that names it.</summary>
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<VectorBackendOptions>()
            .BindConfiguration(VectorBackendOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var backend = builder.Configuration.GetValue(VectorBackendOptions.SectionName + ":Backend", VectorBackendKind.Qdrant);
        if (backend == VectorBackendKind.Pgvector)
        {
            builder.AddNpgsqlDataSource(PgvectorConnectionName, configureDataSourceBuilder: b => b.UseVector());
            builder.Services.AddHealthChecks().AddCheck<PgvectorHealthCheck>("vector-backend");
        }
        else
        {
            var connectionString = builder.Configuration.GetConnectionString(QdrantConnectionName)
                ?? throw new InvalidOperationException($"ConnectionStrings:{QdrantConnectionName} is not set; the AppHost wires it.");
            var qdrant = QdrantConnection.Parse(connectionString);
            builder.Services.AddSingleton(_ => new QdrantClient(qdrant.GrpcEndpoint, qdrant.ApiKey));
            builder.Services.AddHealthChecks().AddCheck<QdrantHealthCheck>("vector-backend");
        }
    }
}
