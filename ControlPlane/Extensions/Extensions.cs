using System.Text.Json.Serialization;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure;

namespace AgentCloud.ControlPlane.Extensions;

internal static class Extensions
{
    public const string DatabaseName = "controlplane-db";

    /// <summary>Registers what this service depends on; each client adds a health check, so /health is ready only when they answer.</summary>
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ControlPlaneOptions>()
            .BindConfiguration(ControlPlaneOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddOptions<ModelCatalogueOptions>()
            .BindConfiguration(ModelCatalogueOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ModelCatalog>();

        // The owner's connection migrates; the request path connects as the service role, under row-level security.
        builder.AddNpgsqlDataSource(DatabaseName);
        var rolePassword = ServiceRole.PasswordFor(builder.Configuration[$"{ControlPlaneOptions.SectionName}:{nameof(ControlPlaneOptions.VaultMasterKey)}"] ?? "");
        builder.AddNpgsqlDbContext<ControlPlaneDbContext>(DatabaseName,
            settings => RequestPathDeadlines.Apply(settings, ServiceRole.ConnectionStringFor(settings.ConnectionString, rolePassword)));
        builder.Services.AddHostedService<DatabaseMigrator>();

        builder.AddRedisClient("redis");

        // Unknown fields are refused rather than ignored, so a misspelt override never silently does nothing.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow);

        builder.Services.AddSingleton<MasterKeyRing>();
        builder.Services.AddSingleton<CredentialVault>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<ResolvedKeyCache>();
        builder.Services.AddSingleton<PlatformEvents>();
        builder.Services.AddScoped<TenantDb>();
        builder.Services.AddScoped<TenantDirectory>();
        builder.Services.AddScoped<ApiKeyService>();
        builder.Services.AddScoped<ProjectService>();
        builder.Services.AddScoped<ApiKeyRotation>();
        builder.Services.AddScoped<RunKeyService>();
        builder.Services.AddHostedService<RunEndedListener>();
        builder.Services.AddSingleton<RefusedKeyTally>();
        builder.Services.AddSingleton<RefusedKeyAuditFlusher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RefusedKeyAuditFlusher>());
        builder.AddPlatformAuditIngestion();
        builder.AddBudgetAlerts();
    }
}
