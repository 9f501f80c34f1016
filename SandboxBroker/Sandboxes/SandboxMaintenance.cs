using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Limits;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Recovers from a crash at start (journaled leases billed and their runs ended, orphans reclaimed), keeps warm pools
/// filled and sweeps each tenant with sandboxes for idle or expired leases; on shutdown ends every lease and empties the pools.
/// </summary>
public sealed class SandboxMaintenance(
    SandboxManager manager, SandboxJanitor janitor, LeaseRecovery recovery, WarmPools pools, CgroupLimiter cgroups, IOptions<SandboxBrokerOptions> options, ILogger<SandboxMaintenance> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        recovery.Collect();
        manager.ReclaimOrphans();
        cgroups.ReclaimOrphans();
        pools.RegisterSharedPools();
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var nextSweep = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (recovery.Pending > 0)
                {
                    await recovery.SettleAsync();
                }
                pools.Refill();
                if (DateTime.UtcNow >= nextSweep)
                {
                    foreach (var tenant in manager.TenantsWithSandboxes.ToList())
                    {
                        await manager.SweepTenantAsync(tenant);
                    }
                    janitor.SweepPaused();
                    nextSweep = DateTime.UtcNow + options.Value.SweepInterval;
                }
                await pools.WaitForWorkAsync(options.Value.SweepInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogError(e, "Sandbox maintenance round failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await manager.ReleaseAllAsync();
        pools.DrainAll();
    }
}
