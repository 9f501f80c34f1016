using System.Collections.Concurrent;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// The slot lifecycle's side of <see cref="ISlotSandboxBackend"/> (a no-op for backends that start a sandbox per exec),
/// and the limits' side: a slot's long-lived sandbox gets a cgroup of its own as soon as it boots (while warm, so
/// acquiring it costs nothing), which is the lease's group while leased; it is booted afresh when a limit ended it.
/// </summary>
public sealed class SlotSandboxes(IsolationCatalog catalog, CgroupLimiter cgroups, IOptions<SandboxBrokerOptions> options, ILogger<SlotSandboxes> logger)
{
    private readonly ConcurrentDictionary<string, string> _groups = new(StringComparer.Ordinal);

    private ISlotSandboxBackend? For(SandboxSlot slot) =>
        catalog.IsAvailable(slot.Level) ? catalog.Backend(slot.Level) as ISlotSandboxBackend : null;

    /// <summary>Boots the slot's sandbox and moves it into the slot's own group; throws (nothing left running) when either fails.</summary>
    public void Start(SandboxSlot slot) => Boot(slot, backend => backend.Start(slot));

    /// <summary>As <see cref="Start"/>, the sandbox restored from a gVisor checkpoint image (see <see cref="GvisorBackend.Restore"/>).</summary>
    public void Restore(SandboxSlot slot, string checkpointImage) => Boot(slot, backend =>
        (backend as GvisorBackend ?? throw new IOException($"level {slot.Level} does not restore checkpoints")).Restore(slot, checkpointImage));

    private void Boot(SandboxSlot slot, Action<ISlotSandboxBackend> boot)
    {
        if (For(slot) is not { } backend)
        {
            return;
        }
        boot(backend);
        string? group = null;
        try
        {
            var limits = options.Value.LimitsOf(slot.Template);
            group = cgroups.CreateSandboxGroup("slot-" + slot.SlotId, backend.HostTaskBudget(limits), limits);
            if (group is null)
            {
                return;
            }
            if (!cgroups.Adopt(group, () => backend.HostProcesses(slot)))
            {
                throw new IOException($"the {slot.Level} sandbox of slot {slot.SlotId} kept forking outside cgroup {group}");
            }
            _groups[slot.SlotId] = group;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SandboxRefusal)
        {
            backend.Stop(slot);
            cgroups.RemoveSandboxGroup(group);
            throw e as IOException ?? new IOException($"the {slot.Level} sandbox of slot {slot.SlotId} could not be put under its limits: {e.Message}", e);
        }
    }

    public string? Stop(SandboxSlot slot)
    {
        var left = For(slot)?.Stop(slot);
        if (_groups.TryRemove(slot.SlotId, out var group))
        {
            cgroups.RemoveSandboxGroup(group);
        }
        return left;
    }

    public int ReclaimOrphans() =>
        catalog.Levels.Where(l => l.Available).Select(l => catalog.Backend(l.Level)).OfType<ISlotSandboxBackend>().Sum(b => b.ReclaimOrphans());

    /// <summary>The lease's cgroup: the slot's own where its sandbox lives as long as the slot, else a new one for the lease.</summary>
    public string? CreateGroup(Sandbox sandbox) => For(sandbox.Slot) is null
        ? cgroups.CreateSandboxGroup(sandbox.Id, limits: options.Value.LimitsOf(sandbox.Template))
        : _groups.GetValueOrDefault(sandbox.Slot.SlotId);

    /// <summary>Moves the slot's (rebooted) sandbox into the lease's group; refuses the exec when that fails.</summary>
    private void Confine(Sandbox sandbox, ISlotSandboxBackend backend)
    {
        if (sandbox.Cgroup is not { } group)
        {
            return;
        }
        try
        {
            if (cgroups.Adopt(group, () => backend.HostProcesses(sandbox.Slot)))
            {
                return;
            }
            logger.LogError("The {Level} sandbox of slot {SlotId} kept forking outside cgroup {Group}", sandbox.Isolation, sandbox.Slot.SlotId, group);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Could not move the {Level} sandbox of slot {SlotId} into cgroup {Group}", sandbox.Isolation, sandbox.Slot.SlotId, group);
        }
        backend.Stop(sandbox.Slot);
        throw new SandboxRefusal(RefusalKind.Busy, "The broker could not put the sandbox under its resource limits; try again shortly.");
    }

    /// <summary>Said after an exec whose sandbox ended under it, so the tenant knows why its command died.</summary>
    public const string EndedNotice = "\nagentcloud: the sandbox met its memory or process limit and was ended; the next exec starts a fresh one around the same files\n";

    /// <summary>Whether the lease's per-slot sandbox is no longer running (checked after an exec).</summary>
    public bool Ended(Sandbox sandbox) => For(sandbox.Slot) is { } backend && !sandbox.Released && !backend.Running(sandbox.Slot);

    /// <summary>
    /// Before an exec: a slot sandbox that met its lease's memory or task limit was ended whole by the kernel. The lease
    /// gets a fresh one around the same workspace, /tmp and egress socket, in the same group; what ran in it is gone.
    /// </summary>
    public void EnsureRunning(Sandbox sandbox)
    {
        if (For(sandbox.Slot) is not { } backend || backend.Running(sandbox.Slot))
        {
            return;
        }
        lock (sandbox)
        {
            if (backend.Running(sandbox.Slot) || sandbox.Released)
            {
                return;
            }
            logger.LogWarning("The {Level} sandbox of {SandboxId} (slot {SlotId}) ended, most likely at its memory or task limit; booting a fresh one",
                sandbox.Isolation, sandbox.Id, sandbox.Slot.SlotId);
            try
            {
                backend.Restart(sandbox.Slot);
            }
            catch (IOException e)
            {
                logger.LogError(e, "Slot {SlotId} could not reboot its sandbox", sandbox.Slot.SlotId);
                throw new SandboxRefusal(RefusalKind.Busy, $"The {sandbox.Isolation} sandbox ended (it met its memory or process limit) and could not be restarted just now; try again shortly.");
            }
            Confine(sandbox, backend);
        }
    }
}
