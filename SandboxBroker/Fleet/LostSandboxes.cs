using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Usage;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// Settles a dead broker's sandboxes: each lease it left in the fleet's record is claimed (by one survivor only),
/// billed up to the dead broker's last heartbeat (never past its own expiry) through the usage stream as any lease,
/// and its run's end announced so the ControlPlane revokes its keys; then the dead broker leaves the fleet.
/// </summary>
public sealed class LostSandboxes(FleetLeases leases, FleetMembership membership, SandboxUsage usage, ILogger<LostSandboxes> logger, IRunCredentials? runCredentials = null)
{
    private static readonly TimeSpan AnnounceDeadline = TimeSpan.FromSeconds(5);

    /// <summary>Reaps every host whose heartbeat lapsed; returns how many leases this broker billed as lost.</summary>
    public async Task<int> ReapSilentAsync()
    {
        var billed = 0;
        foreach (var (host, lastHeartbeat) in await membership.SilentAsync())
        {
            billed += await ReapAsync(host, lastHeartbeat);
        }
        return billed;
    }

    private async Task<int> ReapAsync(string hostId, DateTimeOffset lastHeartbeat)
    {
        var billed = 0;
        var settled = true;
        foreach (var lease in await leases.LeasesOfAsync(hostId))
        {
            if (!await leases.LoseAsync(hostId, lease, lastHeartbeat))
            {
                continue; // another survivor, or the owner itself, got there first
            }
            var ended = lastHeartbeat < lease.ExpiresAt ? lastHeartbeat : lease.ExpiresAt;
            if (await usage.EmitAsync(lease, ended, "lost"))
            {
                billed++;
            }
            if (lease.RunKeyIssued && lease.RunId is not null && runCredentials is not null)
            {
                try
                {
                    await runCredentials.AnnounceRecoveredEndAsync(lease.TenantId, lease.RunId).WaitAsync(AnnounceDeadline);
                }
                catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
                {
                    settled = false;
                    logger.LogError(e, "Could not announce the end of run {RunId} of lost sandbox {SandboxId}", lease.RunId, lease.SandboxId);
                }
            }
            logger.LogWarning("Sandbox {SandboxId} of tenant {TenantId} was lost with broker {HostId}; billed to its last heartbeat {LastHeartbeat:o}",
                lease.SandboxId, lease.TenantId, hostId, lastHeartbeat);
        }
        if (settled)
        {
            await membership.BuryAsync(hostId);
        }
        return billed;
    }
}
