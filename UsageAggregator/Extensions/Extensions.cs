using AgentCloud.UsageAggregator.Data;
using AgentCloud.UsageAggregator.Ingestion;
using AgentCloud.UsageAggregator.Telemetry;
using AgentCloud.UsageAggregator.Tenants;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCloud.UsageAggregator.Extensions;

internal static class Extensions
{
    /// <summary>Registers what this service depends on; each client adds a health check, so /health is ready only when they answer.</summary>
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("usage-db");
        builder.AddRedisClient("redis");

        builder.Services.AddOptions<UsageIngestionOptions>()
            .BindConfiguration(UsageIngestionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<UsageApiOptions>()
            .BindConfiguration(UsageApiOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<PriceListOptions>()
            .BindConfiguration(PriceListOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<UsageConsumerHooks>();
        builder.Services.AddSingleton<UsageMetrics>();
        builder.Services.AddSingleton<OffboardedTenants>();
        builder.Services.AddSingleton<UsageEventValidator>();
        builder.Services.AddSingleton<UsageQueries>();
        builder.Services.AddSingleton<Reconciliation>();

        // Order matters: the schema exists before the offboarded list is loaded and before any consumer writes.
        builder.Services.AddHostedService<SchemaMigrator>();
        builder.Services.AddHostedService<ConfiguredPrices>();
        builder.Services.AddHostedService<OffboardingListener>();
        builder.Services.AddHostedService<UsageIngestionWorker>();
        builder.Services.AddHostedService<UsageStreamTrimmer>();
    }
}
