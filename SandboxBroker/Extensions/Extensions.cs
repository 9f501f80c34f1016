using AgentCloud.SandboxBroker.Egress;
using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.SandboxBroker.Usage;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.Services.AddSingleton<HostProbe>();
        builder.Services.AddSingleton<ISandboxBackend, FirecrackerBackend>();
        builder.Services.AddSingleton<ISandboxBackend, GvisorBackend>();
        builder.Services.AddSingleton<ISandboxBackend, BubblewrapBackend>();
        builder.Services.AddSingleton<ISandboxBackend, NamespaceBackend>();
        builder.Services.AddSingleton<ISandboxBackend, NoneBackend>();
        builder.Services.AddSingleton<IsolationCatalog>();

        builder.Services.AddSingleton<SlotLayout>();
        builder.Services.AddSingleton<Recycler>();
        builder.Services.AddSingleton<WarmPools>();
        builder.Services.AddSingleton<SandboxExecutor>();
        builder.Services.AddSingleton<EgressProxy>();
        builder.Services.AddSingleton<SandboxUsage>();
        builder.Services.AddSingleton<SandboxManager>();
        builder.Services.AddHostedService<SandboxMaintenance>();

        builder.Services.AddHealthChecks().AddCheck<IsolationHealthCheck>("sandbox-isolation");
    }
}
