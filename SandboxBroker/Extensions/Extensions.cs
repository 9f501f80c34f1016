using AgentCloud.Platform.Startup;
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
        builder.Services.AddRedisConnectedBeforeListening(); // a restarted copy joins the rotation with its fleet record reachable
        builder.AddTenantPolicyClient();

        builder.Services.AddOptions<SandboxBrokerOptions>()
            .BindConfiguration(SandboxBrokerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSandboxBrokerCore();
        builder.Services.AddOptions<FleetOptions>().BindConfiguration(FleetOptions.SectionName).ValidateOnStart();
        builder.Services.AddHttpForwarder();
        // YARP logs every forwarded URL at Information, query string included (a port-forward's ?code=...).
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.Services.AddSingleton<Fleet.FleetForwarder>();
        builder.Services.AddKubernetesConfiguration();
        builder.Services.AddSingleton<IRunCredentials, ControlPlaneRunCredentials>();
        // Before maintenance, so it stops after it: the fleet is left only once every lease has ended.
        builder.Services.AddHostedService<Fleet.FleetHeartbeat>();
        builder.Services.AddHostedService<Fleet.FleetReaper>();
        builder.Services.AddHostedService<SandboxMaintenance>();
        builder.Services.AddHostedService<TenantSuspensionListener>();
        builder.Services.AddHealthChecks().AddCheck<IsolationHealthCheck>("sandbox-isolation");
    }
}
