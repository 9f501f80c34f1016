using AgentCloud.SandboxBroker.Extensions;

namespace AgentCloud.SandboxBroker.Kubernetes;

public static class KubernetesServices
{
    /// <summary>The <c>kubernetes</c> level: cluster client, probe, claims and pod execs (off by default; see <see cref="AddKubernetesConfiguration"/>).</summary>
    public static IServiceCollection AddKubernetesSandboxes(this IServiceCollection services)
    {
        services.AddOptions<KubernetesSandboxOptions>().ValidateDataAnnotations();
        services.AddSingleton<KubernetesCluster>();
        services.AddSingleton<KubernetesLevel>();
        services.AddSingleton<KubernetesSandboxes>();
        services.AddSingleton<PodExec>();
        services.AddSingleton<ClusterEgress>();
        services.AddSingleton<ClusterSandboxes>();
        services.AddSingleton<ClusterLeases>();
        services.AddSingleton<ClusterPlacement>();
        services.AddSingleton<ClusterLeasing>();
        return services;
    }

    /// <summary>In the service: options from section <c>SandboxBroker:Kubernetes</c>, and the tier objects kept applied while the level is available.</summary>
    public static IServiceCollection AddKubernetesConfiguration(this IServiceCollection services)
    {
        services.AddOptions<KubernetesSandboxOptions>().BindConfiguration(KubernetesSandboxOptions.SectionName).ValidateOnStart();
        services.AddHostedService<KubernetesTierSync>();
        services.AddHostedService<ClusterJanitor>();
        return services;
    }
}
