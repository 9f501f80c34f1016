using AgentCloud.SandboxBroker.Leases;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>At start deletes the claims a crashed previous run left; then ends this broker's expired and idle cluster leases every sweep interval, and all of them at shutdown (their claims deleted, their seconds billed).</summary>
public sealed class ClusterJanitor(ClusterLeasing leasing, KubernetesLevel level, LeaseJournal journal, IOptions<SandboxBrokerOptions> options, TimeProvider time,
    ILogger<ClusterJanitor> logger) : BackgroundService
{
    // Read when the host builds its hosted services, before any starts: LeaseRecovery forgets these once it has billed them.
    private readonly List<string> _leftByCrash = journal.Read().Where(l => l.Isolation == KubernetesLevel.Name).Select(l => l.SandboxId).ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!level.Configured)
        {
            return;
        }
        // A cluster that was away at start is probed again; its orphans are deleted once it answers.
        while (!level.Probe().Available)
        {
            await Task.Delay(level.ReprobeInterval, time, stoppingToken);
        }
        try
        {
            await leasing.ReclaimOrphansAsync(_leftByCrash, stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Never fault: a faulted background service stops the broker (BackgroundServiceExceptionBehavior.StopHost).
            logger.LogError(e, "Deleting the claims a previous run left failed; the controller deletes them at their expiry");
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await leasing.SweepAsync();
                await Task.Delay(options.Value.SweepInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Sweeping cluster sandboxes failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await leasing.EndAllAsync();
    }
}
