using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Pausing;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Cleans up after leases: sweeps idle and expired ones, offboards a tenant, reclaims what a previous broker run left
/// on disk, and ends every lease at shutdown. Touches one tenant's area only when asked about that tenant.
/// </summary>
public sealed class SandboxJanitor(
    SandboxLeases leases,
    LeaseEnd leaseEnd,
    SlotLayout layout,
    Recycler recycler,
    WarmPools pools,
    PausedStore paused,
    TimeProvider time,
    IOptions<SandboxBrokerOptions> options,
    ILogger<SandboxJanitor> logger)
{
    /// <summary>
    /// Sweeps one tenant: ends its idle or expired leases, and removes folders in that tenant's area that no live
    /// lease owns. Touches nothing of any other tenant.
    /// </summary>
    public async Task<int> SweepTenantAsync(string tenantId)
    {
        var now = time.GetUtcNow();
        var swept = 0;
        foreach (var sandbox in leases.Of(tenantId))
        {
            // A running background process (a dev server) is use too; the lifetime still bounds it.
            var idle = sandbox.RunningExecs == 0 && !sandbox.Processes.AnyRunning && now - sandbox.LastUsedAt >= options.Value.IdleTimeout;
            if ((idle || now >= sandbox.ExpiresAt) && await leaseEnd.EndAsync(sandbox, idle ? "ok" : "aborted"))
            {
                logger.LogInformation("Sandbox {SandboxId} of tenant {TenantId} ended: {Why}", sandbox.Id, tenantId, idle ? "idle" : "lifetime reached");
                swept++;
            }
        }
        var area = layout.TenantDirectory(tenantId);
        if (!Directory.Exists(area))
        {
            return swept;
        }
        var owned = leases.Of(tenantId).Select(s => s.Slot.SlotId).ToHashSet(StringComparer.Ordinal);
        var records = layout.Records().ToDictionary(r => r.SlotId, StringComparer.Ordinal);
        foreach (var dir in Directory.EnumerateDirectories(area))
        {
            var slotId = Path.GetFileName(dir);
            if (owned.Contains(slotId))
            {
                continue;
            }
            if (records.TryGetValue(slotId, out var record))
            {
                SlotProcesses.KillAll(record.Uid);
                File.Delete(Path.Combine(layout.Meta, slotId + ".json"));
            }
            SlotDisk.UnmountBeneath(dir);
            Directory.Delete(dir, recursive: true);
            logger.LogInformation("Removed stale workspace {SlotId} of tenant {TenantId}", slotId, tenantId);
            swept++;
        }
        return swept;
    }

    /// <summary>A tenant was offboarded: end all its leases, drop its dedicated pool and remove its folder.</summary>
    public async Task OffboardAsync(string tenantId)
    {
        foreach (var sandbox in leases.Of(tenantId))
        {
            await leaseEnd.EndAsync(sandbox, "aborted");
        }
        pools.DropDedicated(tenantId);
        paused.RemoveTenant(tenantId);
        await SweepTenantAsync(tenantId);
        var area = layout.TenantDirectory(tenantId);
        if (Directory.Exists(area) && !Directory.EnumerateFileSystemEntries(area).Any())
        {
            Directory.Delete(area);
        }
        logger.LogInformation("Tenant {TenantId} offboarded: its sandboxes and dedicated pool are gone", tenantId);
    }

    /// <summary>
    /// At start: every slot on disk belongs to a previous run of the broker (a crash leaves them leased); kill its
    /// processes and gVisor sandboxes, unmount its disks and remove it.
    /// </summary>
    public int ReclaimOrphans()
    {
        recycler.ReclaimSandboxes();
        var reclaimed = 0;
        foreach (var record in layout.Records().ToList())
        {
            SlotProcesses.KillAll(record.Uid);
            File.Delete(Path.Combine(layout.Meta, record.SlotId + ".json"));
            reclaimed++;
        }
        SlotDisk.UnmountBeneath(layout.Root);
        foreach (var area in new[] { layout.Warm, layout.Tenants, layout.Sockets })
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(area))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }
        }
        if (reclaimed > 0)
        {
            logger.LogWarning("Reclaimed {Count} orphaned sandbox slots left by a previous broker run", reclaimed);
        }
        return reclaimed;
    }

    /// <summary>Deletes paused sandboxes kept past <see cref="SandboxBrokerOptions.MaxPausedTime"/>.</summary>
    public int SweepPaused() => paused.SweepExpired(time.GetUtcNow());

    /// <summary>Ends every lease (shutdown).</summary>
    public async Task ReleaseAllAsync()
    {
        foreach (var sandbox in leases.All())
        {
            await leaseEnd.EndAsync(sandbox, "aborted");
        }
    }
}
