using AgentCloud.SandboxBroker.Egress;
using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Kubernetes;
using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Outbox;
using AgentCloud.SandboxBroker.Pausing;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.SandboxBroker.Usage;

namespace AgentCloud.SandboxBroker.Extensions;

/// <summary>The broker's domain services without hosting or HTTP, shared by the service and the benchmark.</summary>
public static class SandboxBrokerServices
{
    /// <summary>
    /// Adds the fleet's instance claim and shared lease record, the isolation ladder, cgroup limiter, slot layout, pools, recycler, executor, outbox, egress proxy and audit, usage emitter, lease table, journal, recovery, janitor and manager.
    /// Needs <see cref="Microsoft.Extensions.Options.IOptions{SandboxBrokerOptions}"/>, an <c>IConnectionMultiplexer</c>, logging and metrics.
    /// </summary>
    public static IServiceCollection AddSandboxBrokerCore(this IServiceCollection services)
    {
        // First: the instance claim rewrites the broker's root and uid range before anything reads them.
        services.AddOptions<FleetOptions>().ValidateDataAnnotations();
        services.AddSingleton<Fleet.HostInstance>();
        services.AddSingleton<Microsoft.Extensions.Options.IPostConfigureOptions<SandboxBrokerOptions>, Fleet.InstanceRootOptions>();
        services.AddSingleton<Fleet.FleetLeases>();
        services.AddSingleton<Fleet.FleetMembership>();
        services.AddSingleton<Fleet.LostSandboxes>();
        services.AddSingleton<HostProbe>();
        services.AddSingleton<ISandboxBackend, FirecrackerBackend>();
        services.AddSingleton<ISandboxBackend, GvisorBackend>();
        services.AddSingleton<ISandboxBackend, BubblewrapBackend>();
        services.AddSingleton<ISandboxBackend, NamespaceBackend>();
        services.AddSingleton<ISandboxBackend, NoneBackend>();
        services.AddKubernetesSandboxes();
        services.AddSingleton<IsolationCatalog>();
        services.AddSingleton<SlotLayout>();
        services.AddSingleton<SlotSandboxes>();
        services.AddSingleton<Recycler>();
        services.AddSingleton<WarmPools>();
        services.AddSingleton<CgroupLimiter>();
        services.AddSingleton<SandboxExecutor>();
        services.AddBrokerOutbox();
        services.AddSingleton<EgressAudit>();
        services.AddSingleton<EgressProxy>();
        services.AddSingleton<SandboxUsage>();
        services.AddSingleton<ExecRequestValidator>();
        services.AddSingleton<SandboxLeases>();
        services.AddSingleton<LeaseJournal>();
        services.AddSingleton<LeaseEnd>();
        services.AddSingleton<LeaseRecovery>();
        services.AddSingleton<SandboxJanitor>();
        services.AddSingleton<SandboxManager>();
        services.AddSingleton<PausedStore>();
        services.AddSingleton<ProcessCheckpointer>();
        services.AddSingleton<SandboxPauser>();
        services.AddSingleton<Processes.SandboxLaunches>();
        services.AddSingleton<Processes.ProcessRunner>();
        services.AddSingleton<Processes.SandboxPorts>();
        return services;
    }
}
