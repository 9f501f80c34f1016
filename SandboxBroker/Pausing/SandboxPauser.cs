using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Files;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Pausing;

/// <summary>
/// What a pause kept: the paused sandbox and whether its processes were kept (checkpointed at gVisor, see <see cref="CheckpointSupport"/>);
/// <see cref="RevokedKeyId"/> is the run key revoked before the answer, for the Gateway to drop at once.
/// </summary>
public sealed record PauseOutcome(PausedSandbox Paused, CheckpointSupport Checkpoint, string? RevokedKeyId);

/// <summary>What a resume brought back: the sandbox, and whether its processes were restored (and why not).</summary>
public sealed record ResumeOutcome(Sandbox Sandbox, CheckpointSupport Checkpoint, bool Restored);

/// <summary>
/// Pause: hold the sandbox (no new exec or file operation), end what runs in it, save its workspace to the tenant's
/// paused store, then end its lease as a delete does (billed up to now, run key revoked, slot recycled): a paused
/// sandbox holds no slot and costs no sandbox-seconds. Resume: a new lease under the same id at the same level and
/// template, the workspace written back before anything can run in it. Delete of a paused sandbox drops its saved state.
/// </summary>
public sealed class SandboxPauser(
    SandboxManager manager,
    PausedStore store,
    IsolationCatalog catalog,
    CgroupLimiter cgroups,
    SlotSandboxes slotSandboxes,
    ProcessCheckpointer checkpointer,
    TimeProvider time,
    IOptions<SandboxBrokerOptions> options,
    ILogger<SandboxPauser> logger,
    IRunCredentials? runCredentials = null)
{
    private static readonly TimeSpan EndWorkDeadline = TimeSpan.FromSeconds(30);

    private SandboxBrokerOptions Options => options.Value;

    private ArchiveLimits Limits => new(Options.MaxPausedBytes, Options.MaxArchiveEntries);

    /// <summary>Null when the tenant has no such sandbox.</summary>
    public async Task<PauseOutcome?> PauseAsync(TenantContext caller, string id, CancellationToken cancellationToken)
    {
        if (manager.Find(caller.TenantId, id) is not { } sandbox)
        {
            return store.Find(caller.TenantId, id) is null ? null
                : throw new SandboxRefusal(RefusalKind.Paused, $"Sandbox '{id}' is already paused; resume it with POST /v1/sandboxes/{id}/resume.");
        }
        if (!store.TryReserve(caller.TenantId, sandbox.Id, Options.MaxPausedPerTenant))
        {
            throw new SandboxRefusal(RefusalKind.TooManyPaused,
                $"The tenant already keeps {Options.MaxPausedPerTenant} paused sandboxes, the most it may; resume or delete one first.");
        }
        if (!sandbox.TryHold())
        {
            store.CancelReservation(sandbox.Id);
            throw new SandboxRefusal(RefusalKind.Paused, $"Sandbox '{id}' is being paused or resumed already; wait for that to finish.");
        }
        var committed = false;
        try
        {
            PausedWorkspace.PlanSave(sandbox.Slot.Workspace, Limits, sandbox.Slot.Uid); // over the cap: refused before anything is ended
            // Where the level can, the processes are saved first (the sandbox ends with it); what is left is then ended as everywhere.
            var attempt = await checkpointer.CheckpointAsync(sandbox, Limits);
            await EndRunningWorkAsync(sandbox);
            var save = PausedWorkspace.PlanSave(sandbox.Slot.Workspace, Limits, sandbox.Slot.Uid);
            long saved;
            await using (var archive = store.CreateArchive(sandbox.TenantId, sandbox.Id))
            {
                await save(archive, CancellationToken.None);
                archive.Flush(flushToDisk: true);
                saved = archive.Length;
            }
            if (attempt.Checkpoint is { } image && saved + image.Bytes > Options.MaxPausedBytes)
            {
                store.DropCheckpoint(sandbox.TenantId, sandbox.Id);
                attempt = new(null, $"gvisor: processes are not checkpointed, only the workspace is kept: the checkpoint ({image.Bytes} bytes) and the workspace together " +
                                    $"exceed the {Options.MaxPausedBytes} bytes a pause may keep");
            }
            var now = time.GetUtcNow();
            var paused = new PausedSandbox(sandbox.Id, sandbox.TenantId, sandbox.Principal, sandbox.RunId, sandbox.ProjectId, sandbox.Isolation, sandbox.Template,
                sandbox.CreatedAt, now, now + Options.MaxPausedTime, sandbox.ExpiresAt > now ? sandbox.ExpiresAt - now : TimeSpan.Zero, saved + (attempt.Checkpoint?.Bytes ?? 0),
                sandbox.Segment + 1, sandbox.RunKeyIssued, attempt.Checkpoint);
            store.Commit(paused);
            committed = true;
            var revoked = await RevokeRunKeyAsync(sandbox);
            if (!await manager.ReleaseAsync(sandbox, "paused"))
            {
                // Deleted (or ended by the janitor) while it was being saved: it is gone, not paused.
                if (store.TryTake(caller.TenantId, sandbox.Id) is { } dropped)
                {
                    store.Forget(dropped);
                }
                return null;
            }
            logger.LogInformation("Sandbox {SandboxId} of tenant {TenantId} paused: {Bytes} bytes saved, processes {Processes}", sandbox.Id, sandbox.TenantId,
                paused.SavedBytes, attempt.Checkpoint is null ? "not checkpointed" : "checkpointed");
            var support = attempt.Checkpoint is not null ? CheckpointSupport.At(sandbox.Isolation)
                : attempt.Reason is { } why ? new CheckpointSupport(false, why) : CheckpointSupport.At(sandbox.Isolation);
            return new PauseOutcome(paused, support, revoked);
        }
        catch (Exception e) when (e is WorkspaceFileTooLargeException or WorkspacePathException)
        {
            throw new SandboxRefusal(RefusalKind.PauseTooLarge,
                $"{e.Message} A pause saves at most {Options.MaxPausedBytes} bytes of files in {Options.MaxArchiveEntries} entries; delete some and pause again. The sandbox keeps running.");
        }
        catch (Exception e) when (!committed && e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Saving the workspace of {SandboxId} for a pause failed", sandbox.Id);
            throw new SandboxRefusal(RefusalKind.Busy, "The broker could not save the sandbox's workspace just now; the sandbox keeps running (its running commands were ended). Retry the pause shortly.");
        }
        finally
        {
            if (!committed)
            {
                store.Abandon(sandbox.TenantId, sandbox.Id);
                sandbox.Unhold();
            }
        }
    }

    /// <summary>
    /// Revokes the run's key before the lease ends, and only then drops it from the lease so the lease's end announces
    /// nothing: a run-ended message handled after the resume would revoke the key the resume mints for the same run.
    /// When the revoke fails, the lease's end announces the run's end as for any lease.
    /// </summary>
    private async Task<string?> RevokeRunKeyAsync(Sandbox sandbox)
    {
        if (sandbox.RunKey is not { } key || runCredentials is null)
        {
            return null;
        }
        try
        {
            await runCredentials.RevokeAsync(sandbox.RunId!, CancellationToken.None);
            sandbox.RunKey = null;
            return key.Id;
        }
        catch (Exception e) when (e is HttpRequestException or RunKeyUnavailableException or TaskCanceledException)
        {
            logger.LogError(e, "Could not revoke the run key of pausing sandbox {SandboxId} at once; announcing the run's end instead", sandbox.Id);
            return null;
        }
    }

    /// <summary>
    /// The one place a pause ends what runs in the sandbox (its background processes, its execs, whatever they started, a
    /// per-slot sandbox's processes); repeated until no exec is left, since one admitted just before the hold may start after a kill.
    /// </summary>
    private async Task EndRunningWorkAsync(Sandbox sandbox)
    {
        // Background processes and their shared boundary first: they are not checkpointed, and none may start after this.
        await sandbox.StopProcessesAsync();
        var deadline = time.GetUtcNow() + EndWorkDeadline;
        while (true)
        {
            if (sandbox.Cgroup is { } group)
            {
                cgroups.Kill(group);
            }
            else if (catalog.Backend(sandbox.Isolation) is ISlotSandboxBackend)
            {
                slotSandboxes.Stop(sandbox.Slot);
            }
            SlotProcesses.KillAll(sandbox.Slot.Uid);
            if (sandbox.RunningExecs == 0)
            {
                return;
            }
            if (time.GetUtcNow() >= deadline)
            {
                throw new SandboxRefusal(RefusalKind.Busy, $"The sandbox's execs did not end within {EndWorkDeadline.TotalSeconds:F0} s of being killed; try the pause again.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), time);
        }
    }

    /// <summary>Null when the tenant has no such sandbox; refused when it is running (not paused).</summary>
    public async Task<ResumeOutcome?> ResumeAsync(TenantContext caller, TenantPolicy policy, string id, CancellationToken cancellationToken)
    {
        if (store.TryTake(caller.TenantId, id) is not { } paused)
        {
            if (store.Find(caller.TenantId, id) is not null)
            {
                throw new SandboxRefusal(RefusalKind.Paused, $"Sandbox '{id}' is being resumed right now; wait for that to finish.");
            }
            return manager.Find(caller.TenantId, id) is { } running
                ? throw new SandboxRefusal(running.Held ? RefusalKind.Paused : RefusalKind.NotPaused, running.Held
                    ? $"Sandbox '{id}' is being paused or resumed right now; wait for that to finish."
                    : $"Sandbox '{id}' is running, not paused; only a paused sandbox can be resumed.")
                : null;
        }
        if (paused.Checkpoint is { } checkpoint)
        {
            return await ResumeCheckpointedAsync(caller, policy, paused, checkpoint, cancellationToken);
        }
        Sandbox sandbox;
        try
        {
            sandbox = await manager.CreateAsync(caller, policy, new CreateSandboxRequest(paused.Template, null, paused.Isolation), cancellationToken, resuming: paused);
        }
        catch
        {
            store.PutBack(paused);
            throw;
        }
        try
        {
            WorkspaceRestored restored;
            await using (var archive = new FileStream(store.ArchivePath(paused.TenantId, paused.Id), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
            {
                restored = await PausedWorkspace.RestoreAsync(sandbox.Slot.Workspace, archive, Limits, sandbox.Slot.Uid, CancellationToken.None);
            }
            store.Forget(paused);
            sandbox.Unhold();
            if (restored.Refused > 0)
            {
                logger.LogWarning("Resuming {SandboxId} refused {Count} saved entries that would not stay inside the workspace", sandbox.Id, restored.Refused);
            }
            logger.LogInformation("Sandbox {SandboxId} of tenant {TenantId} resumed: {Entries} entries restored", sandbox.Id, sandbox.TenantId, restored.Entries);
            return new ResumeOutcome(sandbox, paused.Isolation == IsolationLevels.Gvisor
                ? new CheckpointSupport(false, "gvisor: the pause kept the workspace only, so no process was restored") : CheckpointSupport.At(paused.Isolation), Restored: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WorkspaceFullException or WorkspaceFileTooLargeException
                                  or WorkspaceFileNotFoundException or InvalidDataException or FormatException)
        {
            logger.LogError(e, "Resuming {SandboxId} failed while writing its workspace back; it stays paused", paused.Id);
            await manager.ReleaseAsync(sandbox, "aborted");
            store.PutBack(paused);
            throw new SandboxRefusal(RefusalKind.Busy, $"The saved workspace could not be written back just now ({e.Message}); the sandbox stays paused, retry the resume shortly.");
        }
    }

    /// <summary>
    /// A checkpointed sandbox comes back in a slot under its old uid, its files written back and its sandbox restored from
    /// the image, its processes listed again; when the image does not restore, with its files only, and the answer says why.
    /// </summary>
    private async Task<ResumeOutcome> ResumeCheckpointedAsync(TenantContext caller, TenantPolicy policy, PausedSandbox paused, ProcessCheckpoint checkpoint,
        CancellationToken cancellationToken)
    {
        RestoredSlot restored;
        Sandbox sandbox;
        try
        {
            restored = await checkpointer.RestoreSlotAsync(paused, checkpoint, new PoolKey(paused.Isolation, paused.Template, policy.DedicatedSandboxPool ? caller.TenantId : null), Limits);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WorkspaceFullException or WorkspaceFileTooLargeException
                                  or WorkspaceFileNotFoundException or InvalidDataException or FormatException)
        {
            logger.LogError(e, "Resuming {SandboxId} failed while writing its workspace back; it stays paused", paused.Id);
            store.PutBack(paused);
            throw new SandboxRefusal(RefusalKind.Busy, $"The saved workspace could not be written back just now ({e.Message}); the sandbox stays paused, retry the resume shortly.");
        }
        catch
        {
            store.PutBack(paused);
            throw;
        }
        try
        {
            sandbox = await manager.CreateAsync(caller, policy, new CreateSandboxRequest(paused.Template, null, paused.Isolation), cancellationToken, resuming: paused,
                restoredSlot: restored.Slot);
        }
        catch
        {
            try
            {
                // Create destroys a slot it took; one refused before that (the tenant's limit) is destroyed here.
                if (Directory.Exists(restored.Slot.Directory))
                {
                    checkpointer.Discard(restored.Slot);
                }
            }
            finally
            {
                store.PutBack(paused);
            }
            throw;
        }
        var failure = restored.Failure ?? checkpointer.Adopt(sandbox, checkpoint);
        store.Forget(paused);
        sandbox.Unhold();
        logger.LogInformation("Sandbox {SandboxId} of tenant {TenantId} resumed from its checkpoint: {Outcome}", sandbox.Id, sandbox.TenantId,
            failure is null ? $"{checkpoint.Processes.Count} processes restored" : "files only, " + failure);
        return failure is null
            ? new ResumeOutcome(sandbox, RestoredSupport(paused), Restored: true)
            : new ResumeOutcome(sandbox, new CheckpointSupport(false,
                $"gvisor: the checkpoint could not be restored ({failure}); the sandbox resumed with its workspace and /tmp only, its processes are gone"), Restored: false);
    }

    /// <summary>
    /// A restored process's environment is its memory, so it keeps the run key revoked at the pause (a key stays live only
    /// while its lease is billed); the answer says so and where the new one is.
    /// </summary>
    private static CheckpointSupport RestoredSupport(PausedSandbox paused) => paused.RunKeyIssued
        ? new(true, CheckpointSupport.At(paused.Isolation).Reason + "; " + RestoredKeyNote)
        : CheckpointSupport.At(paused.Isolation);

    public const string RestoredKeyNote =
        "restored processes still hold the run key (AGENTCLOUD_KEY) revoked at the pause, which the platform now refuses (401); " +
        "execs and processes started after the resume get the run's new key, so restart a restored process that calls the platform";

    /// <summary>Deletes a paused sandbox's saved state; false when the tenant has no such paused sandbox.</summary>
    public bool DeletePaused(string tenantId, string id)
    {
        if (store.TryTake(tenantId, id) is not { } paused)
        {
            return store.Find(tenantId, id) is null ? false
                : throw new SandboxRefusal(RefusalKind.Paused, $"Sandbox '{id}' is being resumed right now; delete it once that is done.");
        }
        store.Forget(paused);
        logger.LogInformation("Paused sandbox {SandboxId} of tenant {TenantId} deleted", id, tenantId);
        return true;
    }
}
