using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.SandboxBroker.Usage;

namespace AgentCloud.SandboxBroker.Leases;

/// <summary>
/// Ends a lease, once: stops its egress, bills its seconds, announces its run's end, kills its processes and recycles
/// or destroys its slot (always, even on failure), and drops it from the journal once its usage is durable. Its place in
/// the fleet (the tenant's count, its lease record) is freed first, which also says whether it is still this broker's to bill.
/// </summary>
public sealed class LeaseEnd(
    SandboxLeases leases,
    LeaseJournal journal,
    SandboxUsage usage,
    CgroupLimiter cgroups,
    WarmPools pools,
    Recycler recycler,
    Fleet.FleetLeases fleet,
    Microsoft.Extensions.Options.IOptions<SandboxBrokerOptions> options,
    TimeProvider time,
    ILogger<LeaseEnd> logger,
    IRunCredentials? runCredentials = null)
{
    /// <summary>False when the lease had already ended.</summary>
    public async Task<bool> EndAsync(Sandbox sandbox, string status)
    {
        if (!sandbox.MarkReleased())
        {
            return false;
        }
        var ended = time.GetUtcNow();
        var billed = false;
        try
        {
            if (sandbox.EgressListener is { } listener)
            {
                await listener.DisposeAsync();
            }
            // Billed only by whoever takes its record from the fleet: a survivor may have billed it as lost already.
            billed = !await fleet.EndAsync(sandbox, status == "paused", options.Value.MaxPausedTime) || await usage.EmitAsync(sandbox, ended, status);
        }
        finally
        {
            if (sandbox.RunKey is not null && runCredentials is not null)
            {
                // Also after an explicit revoke: the message is cheap, and it covers a revoke that failed.
                await runCredentials.AnnounceEndedAsync(sandbox.TenantId, sandbox.RunId!);
            }
            leases.Remove(sandbox.Id);
            await sandbox.StopProcessesAsync();
            cgroups.RemoveSandboxGroup(sandbox.Cgroup);
            try
            {
                if (!pools.Return(sandbox.Slot))
                {
                    logger.LogInformation("Slot {SlotId} of sandbox {SandboxId} destroyed", sandbox.Slot.SlotId, sandbox.Id);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogError(e, "Recycling slot {SlotId} failed; destroying it", sandbox.Slot.SlotId);
                recycler.Destroy(sandbox.Slot);
            }
            if (billed)
            {
                Forget(sandbox.Id);
            }
        }
        return true;
    }

    private void Forget(string sandboxId)
    {
        try
        {
            journal.Forget(sandboxId);
        }
        catch (IOException e)
        {
            // Harmless but for a second bill after a crash, which carries the same event id and is counted once.
            logger.LogError(e, "Could not drop ended lease {SandboxId} from the journal", sandboxId);
        }
    }
}
