using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Leases;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// Keeps this broker in the fleet: a heartbeat every interval, and on each beat a look for siblings that fell silent
/// (whose sandboxes it settles as lost). A broker that finds it was itself declared dead (it stalled past the
/// timeout) ends the sandboxes it still holds: they were billed and their run keys revoked already.
/// </summary>
public sealed class FleetHeartbeat(
    FleetMembership membership, LostSandboxes lost, SandboxLeases local, LeaseEnd leaseEnd, IOptions<FleetOptions> options, ILogger<FleetHeartbeat> logger) : BackgroundService
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
                }
                await lost.ReapSilentAsync();
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
