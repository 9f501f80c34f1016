using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Usage;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Leases;

/// <summary>
/// After a crash: the leases the journal still holds were live when the broker died. Their slots are reclaimed with
/// every other orphan; here each is billed its seconds up to the restart (never past its own expiry) under the
/// lease's event id, and its run's end is announced on the durable control-event stream so the ControlPlane revokes
/// its keys. A lease leaves the journal only when both are done; what Redis refused is tried again next round.
/// A lease that names its fleet host is billed unless the fleet holds proof that a survivor that saw that broker die
/// billed it (to its last heartbeat) already; a missing record alone is no proof (Redis may have lost its data).
/// </summary>
public sealed class LeaseRecovery(
    LeaseJournal journal, SandboxUsage usage, Fleet.FleetLeases fleet, TimeProvider time, ILogger<LeaseRecovery> logger, IRunCredentials? runCredentials = null)
{
    private static readonly TimeSpan AnnounceDeadline = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private List<LeaseRecord> _pending = [];
    private readonly HashSet<string> _billed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _claimed = new(StringComparer.Ordinal);
    private DateTimeOffset _restartedAt;

    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Takes the journal as the previous run left it; call once at start, before any new lease.</summary>
    public int Collect()
    {
        var found = journal.Read();
        lock (_gate)
        {
            _pending = [.. found];
            _restartedAt = time.GetUtcNow();
        }
        if (found.Count > 0)
        {
            logger.LogWarning("{Count} leases were live when the broker last stopped without ending them; billing them and ending their runs", found.Count);
        }
        return found.Count;
    }

    /// <summary>Bills and announces what is pending; returns how many leases are still pending (Redis away).</summary>
    public async Task<int> SettleAsync()
    {
        List<LeaseRecord> pending;
        lock (_gate)
        {
            pending = [.. _pending];
        }
        var left = new List<LeaseRecord>();
        foreach (var lease in pending)
        {
            try
            {
                if (!await SettleAsync(lease))
                {
                    left.Add(lease);
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                logger.LogWarning(e, "Could not settle crashed lease {SandboxId} yet (Redis away); retrying", lease.SandboxId);
                left.Add(lease);
            }
        }
        lock (_gate)
        {
            _pending = left;
            return left.Count;
        }
    }

    private async Task<bool> SettleAsync(LeaseRecord lease)
    {
        if (!_billed.Contains(lease.SandboxId))
        {
            var ended = _restartedAt < lease.ExpiresAt ? _restartedAt : lease.ExpiresAt;
            if (!_claimed.Contains(lease.SandboxId) && lease.HostId is { } host && !await ClaimAsync(host, lease, ended))
            {
                journal.Forget(lease.SandboxId);
                return true;
            }
            // Claimed: a retry after a failed bill must not ask the fleet again, which would then find no record.
            _claimed.Add(lease.SandboxId);
            if (!await usage.EmitAsync(lease, ended, "aborted"))
            {
                return false;
            }
            _billed.Add(lease.SandboxId);
        }
        if (lease.RunKeyIssued && lease.RunId is not null && runCredentials is not null)
        {
            try
            {
                await runCredentials.AnnounceRecoveredEndAsync(lease.TenantId, lease.RunId).WaitAsync(AnnounceDeadline);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                logger.LogWarning(e, "Could not announce the end of run {RunId} of crashed lease {SandboxId} yet; retrying", lease.RunId, lease.SandboxId);
                return false;
            }
        }
        journal.Forget(lease.SandboxId);
        logger.LogInformation("Recovered lease {SandboxId} of tenant {TenantId}: billed and its run ended", lease.SandboxId, lease.TenantId);
        return true;
    }

    /// <summary>Whether this broker bills the lease (false: a survivor did); throws while Redis cannot say, so it is retried.</summary>
    private async Task<bool> ClaimAsync(string hostId, LeaseRecord lease, DateTimeOffset ended)
    {
        if (await fleet.LoseAsync(hostId, lease, ended, requireDeclared: false) != Fleet.LossClaim.BilledElsewhere)
        {
            return true;
        }
        logger.LogInformation("Lease {SandboxId} of tenant {TenantId} was billed by a sibling when this machine's previous broker fell silent", lease.SandboxId, lease.TenantId);
        return false;
    }
}
