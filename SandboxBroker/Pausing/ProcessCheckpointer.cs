using System.Globalization;
using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Files;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Native;
using AgentCloud.SandboxBroker.Processes;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Pausing;

/// <summary>What a pause's checkpoint gave: the checkpoint, or null and why not (null too at a level that never checkpoints).</summary>
public sealed record CheckpointAttempt(ProcessCheckpoint? Checkpoint, string? Reason);

/// <summary>A slot ready for a checkpointed sandbox's resume: restored from its image, or (when that failed, and why) booted afresh around its files.</summary>
public sealed record RestoredSlot(SandboxSlot Slot, string? Failure);

/// <summary>
/// gVisor's side of pause and resume: checkpoints the slot's sandbox (its processes, their memory) with its /tmp and its
/// processes' output files into the paused store, and at resume writes them back into a slot under the same uid and
/// restores it there, then lists its processes again, their logs read from their files and their end watched.
/// </summary>
public sealed class ProcessCheckpointer(
    IsolationCatalog catalog,
    PausedStore store,
    SlotLayout layout,
    SlotSandboxes slotSandboxes,
    Recycler recycler,
    TimeProvider time,
    IOptions<SandboxBrokerOptions> options,
    ILogger<ProcessCheckpointer> logger)
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(500);

    private GvisorBackend? Gvisor(string level) =>
        level == IsolationLevels.Gvisor && catalog.IsAvailable(level) && LaunchPrefix.BrokerIsRoot ? catalog.Backend(level) as GvisorBackend : null;

    /// <summary>Checkpoints a held sandbox at gVisor (the sandbox ends); anything that keeps it from being restored later is a reason instead.</summary>
    public async Task<CheckpointAttempt> CheckpointAsync(Sandbox sandbox, ArchiveLimits limits)
    {
        if (sandbox.Isolation != IsolationLevels.Gvisor)
        {
            return new(null, null);
        }
        if (Gvisor(sandbox.Isolation) is not { } gvisor)
        {
            return new(null, CheckpointSupport.At(sandbox.Isolation).Reason);
        }
        if (sandbox.RunningExecs > 0)
        {
            return new(null, "gvisor: processes are not checkpointed, only the workspace is kept: an exec was still running at the pause, and its output goes to the caller, which a checkpoint cannot carry; pause when no exec runs");
        }
        if (layout.HeldForPauseCount >= options.Value.EffectiveMaxCheckpointedPauses())
        {
            // Each checkpoint holds its uid while paused: unbounded, paused sandboxes would leave none for new ones.
            return new(null, $"gvisor: processes are not checkpointed, only the workspace is kept: this broker already keeps " +
                             $"{options.Value.EffectiveMaxCheckpointedPauses()} checkpointed paused sandboxes, the most it may; resume or delete one to checkpoint again");
        }
        var processes = new List<CheckpointedProcess>();
        foreach (var process in sandbox.Processes.List().Where(p => p.Result is null))
        {
            if (process is { OutputFiles: { } restoredFiles, PidsInside: var (first, commandInside) })
            {
                processes.Add(new CheckpointedProcess(process.Pid, process.Command, process.StartedAt, restoredFiles.Name, first, commandInside));
                continue;
            }
            if (process.OutputFiles is not { } files || await WaitForAsync(() => Task.FromResult(ReadPid(files.PidFile))) is not { } inside
                || await WaitForAsync(() => gvisor.CommandPidAsync(sandbox.Slot, inside)) is not { } command)
            {
                return new(null, $"gvisor: processes are not checkpointed, only the workspace is kept: process {process.Pid} had not started yet at the pause");
            }
            processes.Add(new CheckpointedProcess(process.Pid, process.Command, process.StartedAt, files.Name, inside, command));
        }
        if (OverCapBeforeCheckpoint(gvisor, sandbox.Slot, limits) is { } tooLarge)
        {
            return new(null, tooLarge);
        }
        var folder = store.CreateCheckpointFolder(sandbox.TenantId, sandbox.Id);
        foreach (var process in sandbox.Processes.List())
        {
            process.Checkpointed = true; // their files go into the image's folder: not removed when their exec ends with the sandbox
        }
        try
        {
            var slot = sandbox.Slot;
            if (await Task.Run(() => gvisor.Checkpoint(slot, Path.Combine(folder, "image"))) is { } failure)
            {
                logger.LogError("runsc could not checkpoint sandbox {SandboxId}: {Failure}", sandbox.Id, failure);
                store.DropCheckpoint(sandbox.TenantId, sandbox.Id);
                return new(null, $"gvisor: processes are not checkpointed, only the workspace is kept: runsc could not checkpoint the sandbox ({Shorten(failure)})");
            }
            var output = Path.Combine(folder, "output");
            Directory.CreateDirectory(output);
            foreach (var file in Directory.EnumerateFiles(gvisor.OutputFolder(slot)))
            {
                CopyKeepingTime(file, Path.Combine(output, Path.GetFileName(file)));
            }
            await using (var tmp = new FileStream(Path.Combine(folder, "tmp.tar"), new FileStreamOptions
                         {
                             Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                         }))
            {
                await PausedWorkspace.PlanSave(slot.Tmp, limits, slot.Uid)(tmp, CancellationToken.None);
                tmp.Flush(flushToDisk: true);
            }
            return new(new ProcessCheckpoint(slot.Uid, slot.SlotId, sandbox.Processes.LastPid, processes, FolderBytes(folder)), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WorkspaceFileTooLargeException or WorkspacePathException)
        {
            logger.LogError(e, "Saving the checkpoint of sandbox {SandboxId} failed", sandbox.Id);
            store.DropCheckpoint(sandbox.TenantId, sandbox.Id);
            return new(null, $"gvisor: processes are not checkpointed, only the workspace is kept: the checkpoint could not be saved ({Shorten(e.Message)})");
        }
    }

    /// <summary>
    /// A slot under the checkpoint's uid with the workspace, /tmp and output files back, restored from the image; when the
    /// restore fails (image damaged, runsc refuses) the slot boots afresh around the same files and says why. Throws
    /// (nothing left) when even the workspace cannot be written back or no sandbox starts.
    /// </summary>
    public async Task<RestoredSlot> RestoreSlotAsync(PausedSandbox paused, ProcessCheckpoint checkpoint, PoolKey key, ArchiveLimits limits)
    {
        var slot = layout.CreateSlot(key, checkpoint.Uid, checkpoint.SlotId);
        try
        {
            recycler.ResetEnvironment(slot);
            await using (var archive = new FileStream(store.ArchivePath(paused.TenantId, paused.Id), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
            {
                await PausedWorkspace.RestoreAsync(slot.Workspace, archive, limits, slot.Uid, CancellationToken.None);
            }
            string? failure = null;
            try
            {
                var gvisor = Gvisor(paused.Isolation) ?? throw new IOException("gvisor is not available on this broker now");
                var folder = store.CheckpointPath(paused.TenantId, paused.Id);
                await using (var tmp = new FileStream(Path.Combine(folder, "tmp.tar"), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
                {
                    await PausedWorkspace.RestoreAsync(slot.Tmp, tmp, limits, slot.Uid, CancellationToken.None);
                }
                gvisor.PrepareOutputFolder(slot);
                foreach (var file in Directory.EnumerateFiles(Path.Combine(folder, "output")))
                {
                    var target = Path.Combine(gvisor.OutputFolder(slot), Path.GetFileName(file));
                    CopyKeepingTime(file, target);
                    if (Libc.LChown(target, slot.Uid, slot.Uid) != 0)
                    {
                        throw new IOException($"chown {target} failed with errno {Libc.LastError}");
                    }
                }
                await Task.Run(() => slotSandboxes.Restore(slot, Path.Combine(folder, "image")));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException
                                      or WorkspaceFullException or WorkspaceFileTooLargeException or WorkspaceFileNotFoundException)
            {
                logger.LogError(e, "Sandbox {SandboxId} could not be restored from its checkpoint; it resumes with its files only", paused.Id);
                failure = Shorten(e.Message);
                await Task.Run(() => slotSandboxes.Start(slot));
            }
            return new(slot, failure);
        }
        catch
        {
            recycler.Destroy(slot);
            throw;
        }
    }

    /// <summary>A restored slot no lease took (the tenant's limit was reached meanwhile): destroyed; its uid stays held for the paused sandbox.</summary>
    public void Discard(SandboxSlot slot) => recycler.Destroy(slot);

    /// <summary>
    /// Lists the restored sandbox's processes again, as they were numbered, each read from its files and watched until it
    /// ends; null when done, else why not (gVisor went away meanwhile: nothing could signal or watch them).
    /// </summary>
    public string? Adopt(Sandbox sandbox, ProcessCheckpoint checkpoint)
    {
        if (Gvisor(sandbox.Isolation) is not { } gvisor)
        {
            return "gvisor is not available on this broker now";
        }
        foreach (var saved in checkpoint.Processes)
        {
            var process = sandbox.Processes.Restore(saved.Pid, saved.Command, saved.StartedAt, checkpoint.LastPid);
            var files = gvisor.OutputFilesOf(sandbox.Slot, saved.OutputName);
            process.OutputFiles = files;
            process.PidsInside = (saved.ContainerPid, saved.CommandPid);
            process.Deliver = signal => gvisor.SignalInsideAsync(sandbox.Slot, saved.CommandPid, signal);
            _ = Task.Run(() => WatchAsync(sandbox, gvisor, process, saved.ContainerPid, files));
        }
        return null;
    }

    /// <summary>
    /// Reads the process's files into its log until it ends: its shell writes its status when the command ends (however
    /// it ends); a KILL ends the shell with it, and a sandbox that ended ends them all. runsc lists no restored process,
    /// so the status file, not <c>runsc ps</c>, says when; the tenant can write that file too, so its end counts only once
    /// the shell is gone from inside (else its place and its files would be freed while it runs).
    /// </summary>
    private async Task WatchAsync(Sandbox sandbox, GvisorBackend gvisor, BackgroundProcess process, int containerPid, ProcessOutputFiles files)
    {
        var tail = OutputTail.Start(files, process.Log, options.Value.MaxOutputBytes);
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var kill = process.KillToken.Register(() => killed.TrySetResult());
        var killSent = false;
        var ended = false;
        while (!sandbox.Released && gvisor.Running(sandbox.Slot))
        {
            if (killed.Task.IsCompleted && !killSent)
            {
                // The parent of the process's PID namespace: everything it started ends with it.
                await gvisor.SignalInsideAsync(sandbox.Slot, containerPid, Libc.SIGKILL);
                killSent = true;
            }
            var claimsEnd = killSent || ExitStatusFile.Read(files.ExitStatus) is not null;
            if (claimsEnd && !await gvisor.AliveInsideAsync(sandbox.Slot, containerPid))
            {
                ended = true;
                break;
            }
            // A status written while the shell still runs (its last moment, or the tenant's): asked again less often.
            await Task.WhenAny(killSent ? Task.CompletedTask : killed.Task, Task.Delay(claimsEnd ? WatchInterval * 4 : WatchInterval, time));
        }
        await tail.StopAsync(remove: false);
        var status = ExitStatusFile.Read(files.ExitStatus) ?? (process.KillToken.IsCancellationRequested ? 137 : ExitStatusFile.Unreadable);
        if (!process.Checkpointed && (ended || !gvisor.Running(sandbox.Slot)))
        {
            OutputTail.Remove(files);
        }
        var now = time.GetUtcNow();
        process.Exit(new ExecResult(status, "", "", (long)(now - process.StartedAt).TotalMilliseconds, false, tail.Truncated), now);
        logger.LogInformation("Restored background process {Pid} of sandbox {SandboxId} exited with {ExitCode}", process.Pid, sandbox.Id, status);
    }

    /// <summary>
    /// The output files and /tmp a checkpoint copies, measured before runsc writes anything: over what a pause may keep,
    /// the checkpoint is not taken at all (the image itself is only known once written, and checked then).
    /// </summary>
    private static string? OverCapBeforeCheckpoint(GvisorBackend gvisor, SandboxSlot slot, ArchiveLimits limits)
    {
        var outputBytes = Directory.Exists(gvisor.OutputFolder(slot)) ? FolderBytes(gvisor.OutputFolder(slot)) : 0;
        var tooLarge = $"gvisor: processes are not checkpointed, only the workspace is kept: the processes' output files and /tmp exceed the {limits.MaxBytes} bytes a pause may keep";
        if (outputBytes >= limits.MaxBytes)
        {
            return tooLarge;
        }
        try
        {
            PausedWorkspace.PlanSave(slot.Tmp, limits with { MaxBytes = limits.MaxBytes - outputBytes }, slot.Uid);
            return null;
        }
        catch (Exception e) when (e is WorkspaceFileTooLargeException or WorkspacePathException)
        {
            return tooLarge;
        }
    }

    private static readonly TimeSpan PidSettle = TimeSpan.FromSeconds(5);

    /// <summary>runsc writes a process's pid (and it starts its command) a moment after its launch is answered: a process started just before the pause is waited for (bounded).</summary>
    private async Task<int?> WaitForAsync(Func<Task<int?>> read)
    {
        var deadline = time.GetUtcNow() + PidSettle;
        while (true)
        {
            if (await read() is { } pid)
            {
                return pid;
            }
            if (time.GetUtcNow() >= deadline)
            {
                return null;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), time);
        }
    }

    private static int? ReadPid(string path) =>
        File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;

    /// <summary>gVisor checks a reopened file against what it saw at the checkpoint, so a copy keeps the time too.</summary>
    private static void CopyKeepingTime(string from, string to)
    {
        File.Copy(from, to, overwrite: true);
        File.SetUnixFileMode(to, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetLastWriteTimeUtc(to, File.GetLastWriteTimeUtc(from));
    }

    private static long FolderBytes(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
