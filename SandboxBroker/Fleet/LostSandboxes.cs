using System.Collections.Concurrent;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Kubernetes;
using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Usage;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// Settles dead brokers' sandboxes: a silent host is declared dead (atomically with re-checking its silence), then
/// each lease it left is claimed (by one survivor only, leaving proof of it), billed up to the dead broker's last
/// heartbeat (never past its own expiry) and its run's end announced so the ControlPlane revokes its keys. What this
/// broker claimed is remembered here before billing, so a failed bill or announce is retried rather than forgotten. A
/// lost cluster sandbox's claim is deleted by the survivor that claimed it (the cluster outlives the dead broker).
/// </summary>
public sealed class LostSandboxes(FleetLeases leases, FleetMembership membership, SandboxUsage usage, ILogger<LostSandboxes> logger,
    IRunCredentials? runCredentials = null, ClusterLeasing? cluster = null)
{
    private static readonly TimeSpan AnnounceDeadline = TimeSpan.FromSeconds(5);

    // Claimed here, not yet billed and announced: sandbox id to (lease, when it ended, billed yet).
    private readonly ConcurrentDictionary<string, (LeaseRecord Lease, DateTimeOffset Ended, bool Billed)> _claimed = new(StringComparer.Ordinal);

    // Lost cluster sandboxes claimed here whose claims are not deleted yet.
    private readonly ConcurrentDictionary<string, bool> _claimsLeft = new(StringComparer.Ordinal);

    /// <summary>Leases this broker claimed as lost whose bill or run end did not go through yet.</summary>
    public int Unsettled => _claimed.Count;

    /// <summary>
    /// Declares dead every host silent past the timeout (only while this broker's own beats were continuous for as
    /// long), settles the leases of every host declared dead, and retries what it claimed; returns how many it billed.
    /// </summary>
    public async Task<int> ReapSilentAsync()
    {
        if (membership.MayReap)
        {
            foreach (var host in await membership.SilentAsync())
            {
                if (await membership.DeclareDeadAsync(host) is { } last)
                {
                    logger.LogWarning("Broker {HostId} fell silent (last heartbeat {LastHeartbeat:o}); settling its sandboxes as lost", host, last);
                }
            }
        }
        var billed = await SettleClaimedAsync();
        await DeleteClaimsLeftAsync();
        foreach (var (host, lastHeartbeat) in (await membership.DeadAsync()).Where(d => d.HostId != membership.HostId))
        {
            foreach (var lease in await leases.LeasesOfAsync(host))
            {
                if (await leases.LoseAsync(host, lease, lastHeartbeat, requireDeclared: true) != LossClaim.Claimed)
                {
                    continue; // another survivor got there first
                }
                var ended = lastHeartbeat < lease.ExpiresAt ? lastHeartbeat : lease.ExpiresAt;
                _claimed[lease.SandboxId] = (lease, ended, false);
                if (lease.Isolation == KubernetesLevel.Name)
                {
                    _claimsLeft[lease.SandboxId] = true;
                }
                logger.LogWarning("Sandbox {SandboxId} of tenant {TenantId} was lost with broker {HostId}; billing it to its last heartbeat {LastHeartbeat:o}",
                    lease.SandboxId, lease.TenantId, host, lastHeartbeat);
            }
            billed += await SettleClaimedAsync();
            await DeleteClaimsLeftAsync();
            if ((await leases.LeasesOfAsync(host)).Count == 0)
            {
                await membership.BuryAsync(host);
            }
        }
        return billed;
    }

    private async Task DeleteClaimsLeftAsync()
    {
        foreach (var id in _claimsLeft.Keys)
        {
            try
            {
                if (cluster is not null)
                {
                    await cluster.DeleteLostClaimAsync(id, CancellationToken.None);
                }
                _claimsLeft.TryRemove(id, out _);
            }
            catch (Exception e) when (ClusterFaults.IsClusterFault(e, CancellationToken.None))
            {
                logger.LogError(e, "Could not delete the claim of lost sandbox {SandboxId} yet; retrying", id);
            }
        }
    }

    private async Task<int> SettleClaimedAsync()
    {
        var billed = 0;
        foreach (var (id, (lease, ended, wasBilled)) in _claimed.ToArray())
        {
            if (!wasBilled)
            {
                if (!await usage.EmitAsync(lease, ended, "lost"))
                {
                    continue;
                }
                billed++;
                _claimed[id] = (lease, ended, true);
            }
            if (lease.RunKeyIssued && lease.RunId is not null && runCredentials is not null)
            {
                try
                {
                    await runCredentials.AnnounceRecoveredEndAsync(lease.TenantId, lease.RunId).WaitAsync(AnnounceDeadline);
                }
                catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
                {
                    logger.LogError(e, "Could not announce the end of run {RunId} of lost sandbox {SandboxId} yet; retrying", lease.RunId, lease.SandboxId);
                    continue;
                }
            }
            _claimed.TryRemove(id, out _);
        }
        return billed;
    }
}
