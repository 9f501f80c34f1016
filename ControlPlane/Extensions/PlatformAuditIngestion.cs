using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure;

namespace AgentCloud.ControlPlane.Extensions;

internal static class PlatformAuditIngestion
{
    /// <summary>Records the platform services' audit entries (e.g. denied sandbox egress) from their Redis stream in tenants' trails.</summary>
    public static void AddPlatformAuditIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PlatformAuditOptions>()
            .BindConfiguration(PlatformAuditOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<PlatformAuditRecorder>();
        builder.Services.AddHostedService<PlatformAuditConsumer>();
    }
}
