using AgentCloud.Memory.Backends;
using AgentCloud.Memory.Domain;
using AgentCloud.Memory.Embeddings;
using AgentCloud.Memory.Offboarding;
using Npgsql;
using Qdrant.Client;

namespace AgentCloud.Memory.Extensions;

internal static class Extensions
{
    public const string QdrantConnectionName = "qdrant";
    public const string PgvectorConnectionName = "memory-db";
    public const string RedisConnectionName = "redis";

    /// <summary>
    /// Wires the vector backend the AppHost chose (with a health check that names it), the tenant policy client,
    /// the embedder (the InferenceRouter) and, when Redis is referenced, the offboarding listener.
    /// </summary>
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<VectorBackendOptions>()
            .BindConfiguration(VectorBackendOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<MemoryOptions>()
            .BindConfiguration(MemoryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var backend = builder.Configuration.GetValue(VectorBackendOptions.SectionName + ":Backend", VectorBackendKind.Qdrant);
        if (backend == VectorBackendKind.Pgvector)
        {
            builder.AddNpgsqlDataSource(PgvectorConnectionName, configureDataSourceBuilder: b => b.UseVector());
            builder.Services.AddHealthChecks().AddCheck<PgvectorHealthCheck>("vector-backend");
            builder.Services.AddSingleton<PgvectorStore>();
            builder.Services.AddSingleton<IVectorStore>(sp => WithDeadline<PgvectorStore>(sp));
        }
        else
        {
            var connectionString = builder.Configuration.GetConnectionString(QdrantConnectionName)
                ?? throw new InvalidOperationException($"ConnectionStrings:{QdrantConnectionName} is not set; the AppHost wires it.");
            var qdrant = QdrantConnection.Parse(connectionString);
            builder.Services.AddSingleton(_ => new QdrantClient(qdrant.GrpcEndpoint, qdrant.ApiKey));
            builder.Services.AddHealthChecks().AddCheck<QdrantHealthCheck>("vector-backend");
            builder.Services.AddSingleton<QdrantStore>();
            builder.Services.AddSingleton<IVectorStore>(sp => WithDeadline<QdrantStore>(sp));
        }
        builder.Services.AddHostedService<VectorStoreInitializer>();

        builder.AddTenantPolicyClient();
        builder.Services.AddHttpClient(RouterTextEmbedder.HttpClientName, c => c.BaseAddress = new Uri("http://inference-router"));
        builder.Services.AddSingleton<ITextEmbedder, RouterTextEmbedder>();
        builder.Services.AddSingleton<MemoryMetrics>();
        builder.Services.AddSingleton<MemoryService>();

        if (!string.IsNullOrEmpty(builder.Configuration.GetConnectionString(RedisConnectionName)))
        {
            builder.AddRedisClient(RedisConnectionName);
            builder.Services.AddHostedService<TenantOffboardingListener>();
        }
    }

    private static DeadlineVectorStore WithDeadline<TStore>(IServiceProvider services) where TStore : IVectorStore =>
        new(services.GetRequiredService<TStore>(), services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MemoryOptions>>());
}
