using AgentCloud.AppHost.Infrastructure;

namespace AgentCloud.AppHost;

/// <summary>
/// Where the broker's sandboxes run. A local run: on this machine, under the state directory. A deployment: as
/// agent-sandbox claims in a Kubernetes cluster (a container app has no user namespaces for the local ladder), with the
/// cluster's kubeconfig, namespace and sandbox image as parameters; no path of the publishing machine goes into it.
/// </summary>
public static class SandboxDeployment
{
    /// <summary>The local ladder, off in a deployment: the broker's container cannot run any of it.</summary>
    private static readonly string[] LocalLevels = ["firecracker", "gvisor", "bubblewrap", "namespace", "none"];

    /// <summary>A folder of the broker's image (the .NET base images' non-root user owns /home/app), not of the publishing machine.</summary>
    public const string ContainerSandboxRoot = "/home/app/sandboxes";

    public static IResourceBuilder<ProjectResource> WithSandboxBackend(this IResourceBuilder<ProjectResource> broker, IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsRunMode)
        {
            return broker.WithEnvironment("SandboxBroker__Root", Path.Combine(StateDirectory.Resolve(builder.Configuration), "sandboxes"));
        }
        var kubeconfig = builder.AddParameter("sandbox-kubeconfig", secret: true);
        var kubeNamespace = builder.AddParameter("sandbox-namespace", "agentcloud-sandboxes", publishValueAsDefault: true);
        var image = builder.AddParameter("sandbox-image", "docker.io/library/python:3.12-slim-bookworm", publishValueAsDefault: true);
        broker.WithEnvironment("SandboxBroker__Root", ContainerSandboxRoot)
            .WithEnvironment("SandboxBroker__Kubernetes__Enabled", "true")
            .WithEnvironment("SandboxBroker__Kubernetes__KubeconfigYaml", kubeconfig)
            .WithEnvironment("SandboxBroker__Kubernetes__Namespace", kubeNamespace)
            .WithEnvironment("SandboxBroker__Kubernetes__Image", image);
        for (var i = 0; i < LocalLevels.Length; i++)
        {
            broker.WithEnvironment($"SandboxBroker__DisabledLevels__{i}", LocalLevels[i]);
        }
        return broker;
    }
}
