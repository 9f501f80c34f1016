using AgentCloud.SandboxBroker.Extensions;
using k8s;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>The API client for the configured cluster: from the kubeconfig file, or the pod's own service account in a cluster.</summary>
public sealed class KubernetesCluster(IOptions<KubernetesSandboxOptions> options) : IDisposable
{
    private readonly Lazy<IKubernetes> _client = new(() => new k8s.Kubernetes(Configuration(options.Value)));

    public KubernetesSandboxOptions Options => options.Value;

    public IKubernetes Client => _client.Value;

    /// <summary>Why no client can be made from the settings; null when one can.</summary>
    public string? ConfigurationProblem()
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return $"no cluster configured: set {KubernetesSandboxOptions.SectionName}:Enabled=true, with Kubeconfig=<path>, KubeconfigYaml or running the broker in the cluster";
        }
        if (!string.IsNullOrWhiteSpace(settings.KubeconfigYaml))
        {
            return null;
        }
        if (settings.Kubeconfig is { Length: > 0 } path)
        {
            return File.Exists(path) ? null : $"{KubernetesSandboxOptions.SectionName}:Kubeconfig names {path}, which does not exist";
        }
        return KubernetesClientConfiguration.IsInCluster()
            ? null
            : $"{KubernetesSandboxOptions.SectionName}:Kubeconfig is not set and the broker is not running in a cluster (no service account token, no KUBERNETES_SERVICE_HOST)";
    }

    private static KubernetesClientConfiguration Configuration(KubernetesSandboxOptions settings)
    {
        if (!string.IsNullOrWhiteSpace(settings.KubeconfigYaml))
        {
            using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(settings.KubeconfigYaml));
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(content);
        }
        return settings.Kubeconfig is { Length: > 0 } path
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path)
            : KubernetesClientConfiguration.InClusterConfig();
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }
}
