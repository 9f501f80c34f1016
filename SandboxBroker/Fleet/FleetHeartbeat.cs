using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Kubernetes;
using AgentCloud.SandboxBroker.Leases;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// Keeps this broker in the fleet: a heartbeat every interval, on its own loop so that settling a dead sibling (see
/// <see cref="FleetReaper"/>) never delays it. A broker that finds it was itself declared dead (it stalled or was cut
/// off past the timeout) ends the sandboxes it still holds, unbilled where a survivor billed them, then joins again.
/// </summary>
public sealed class FleetHeartbeat(
    FleetMembership membership, SandboxLeases local, LeaseEnd leaseEnd, IOptions<FleetOptions> options, ILogger<FleetHeartbeat> logger,
    ClusterLeasing? cluster = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await membership.BeatAsync())
                {
                    logger.LogError("This broker ({HostId}) was declared dead by its siblings; ending the sandboxes it still held", membership.HostId);
                    foreach (var sandbox in local.All())
                    {
                        await leaseEnd.EndAsync(sandbox, "lost");
                    }
                    if (cluster is not null)
                    {
                        await cluster.EndAllAsync("lost"); // their claims deleted too, if the survivor has not yet
                    }
                    await membership.RejoinAsync();
                    continue;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning(e, "Fleet heartbeat failed; retrying");
            }
            try
            {
                await Task.Delay(options.Value.HeartbeatInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await membership.LeaveAsync();
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            logger.LogWarning(e, "Could not leave the fleet; siblings will see this broker fall silent");
        }
    }
}
