using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Kubernetes;
using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Extensions;

internal static class Extensions
{
    /// <summary>Registers what this service depends on; each client adds a health check, so /health is ready only when they answer.</summary>
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");
        builder.AddTenantPolicyClient();

        builder.Services.AddOptions<SandboxBrokerOptions>()
            .BindConfiguration(SandboxBrokerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSandboxBrokerCore();
        builder.Services.AddKubernetesConfiguration();
        builder.Services.AddSingleton<IRunCredentials, ControlPlaneRunCredentials>();
        builder.Services.AddHostedService<SandboxMaintenance>();
        builder.Services.AddHostedService<TenantSuspensionListener>();
        builder.Services.AddHealthChecks().AddCheck<IsolationHealthCheck>("sandbox-isolation");
    }
}
