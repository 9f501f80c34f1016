using System.Net;
using AgentCloud.SandboxBroker.Isolation;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>
/// Where the <c>kubernetes</c> level is available, applies the tier templates, shared warm pools and network policy at
/// start and again every few minutes (an operator's edit or a deleted object is put back), and opens the pods' egress
/// proxy port when sandboxes have egress. Nothing where the level is unavailable.
/// </summary>
public sealed class KubernetesTierSync(IsolationCatalog catalog, KubernetesSandboxes sandboxes, ClusterEgress egress, KubernetesCluster cluster,
    TimeProvider time, ILogger<KubernetesTierSync> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (cluster.ConfigurationProblem() is not null)
        {
            return;
        }
        while (!catalog.Clusters.Any(c => c.Level == KubernetesLevel.Name && c.Available))
        {
            await Task.Delay(cluster.Options.ReprobeInterval, time, stoppingToken);
        }
        if (cluster.Options.EgressProxyAddress is not null)
        {
            egress.Start(new IPEndPoint(IPAddress.Any, cluster.Options.EgressProxyPort));
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await sandboxes.ApplyTiersAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Applying the sandbox tiers to the cluster failed; retrying in {Interval}", Interval);
            }
            await Task.Delay(Interval, time, stoppingToken);
        }
    }
}
