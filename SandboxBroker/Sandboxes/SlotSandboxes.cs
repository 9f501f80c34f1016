using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// The slot lifecycle's side of <see cref="ISlotSandboxBackend"/> (a no-op for backends that start a sandbox per exec),
/// and its lease's side: the slot's long-lived sandbox runs inside the lease's cgroup, and is booted afresh when a limit
/// ended it.
/// </summary>
public sealed class SlotSandboxes(IsolationCatalog catalog, CgroupLimiter cgroups, IOptions<SandboxBrokerOptions> options, ILogger<SlotSandboxes> logger)
{
    private ISlotSandboxBackend? For(SandboxSlot slot) =>
        catalog.IsAvailable(slot.Level) ? catalog.Backend(slot.Level) as ISlotSandboxBackend : null;

    public void Start(SandboxSlot slot) => For(slot)?.Start(slot);

    public string? Stop(SandboxSlot slot) => For(slot)?.Stop(slot);

    public int ReclaimOrphans() =>
        catalog.Levels.Where(l => l.Available).Select(l => catalog.Backend(l.Level)).OfType<ISlotSandboxBackend>().Sum(b => b.ReclaimOrphans());

    /// <summary>The lease's cgroup with the limits of its level: a per-slot sandbox's host tasks are counted as that backend says.</summary>
    public string? CreateGroup(Sandbox sandbox) =>
        cgroups.CreateSandboxGroup(sandbox.Id, For(sandbox.Slot)?.HostTaskBudget(options.Value.Limits));

    /// <summary>
    /// Moves the slot's running sandbox (booted warm, before this lease) into the lease's group, so its memory, tasks
    /// and CPU count against the lease's limits and the group's kill ends it. Refuses the lease when that fails.
    /// </summary>
    public void Confine(Sandbox sandbox)
    {
        if (For(sandbox.Slot) is not { } backend || sandbox.Cgroup is not { } group)
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
            Confine(sandbox);
        }
    }
}
