using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Makes a used slot fit to serve again: kill every process, wipe workspace and /tmp, reset the environment,
/// then verify (no file, no process, no variable left). A slot that fails the scan is destroyed.
/// </summary>
public sealed class Recycler(SlotLayout layout, IOptions<SandboxBrokerOptions> options, ILogger<Recycler> logger, SlotSandboxes sandboxes)
{
    /// <summary>True when the slot is clean and may go back to its pool; false when it was destroyed.</summary>
    public bool Recycle(SandboxSlot slot)
    {
        var sandboxLeft = sandboxes.Stop(slot);
        SlotProcesses.KillAll(slot.Uid);
        try
        {
            // A fresh filesystem each: nothing of the previous tenant survives, and its memory is given back.
            SlotDisk.UnmountBeneath(slot.Workspace);
            SlotDisk.UnmountBeneath(slot.Tmp);
            Wipe(slot.Workspace, slot.Uid);
            Wipe(slot.Tmp, slot.Uid);
            layout.MountDisks(slot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Wiping slot {SlotId} failed", slot.SlotId);
        }
        ResetEnvironment(slot);
        var leftovers = sandboxLeft is null ? Scan(slot) : [.. Scan(slot), sandboxLeft];
        if (leftovers.Count == 0)
        {
            slot.Uses++;
            return TryStartSandbox(slot);
        }
        logger.LogWarning("Slot {SlotId} failed its verification scan and is destroyed: {Leftovers}", slot.SlotId, string.Join("; ", leftovers));
        Destroy(slot);
        return false;
    }

    /// <summary>Readies a new slot: the template's environment and, for a backend with a per-slot sandbox, that sandbox booted.</summary>
    public void Prepare(SandboxSlot slot)
    {
        ResetEnvironment(slot);
        try
        {
            sandboxes.Start(slot);
        }
        catch (IOException e)
        {
            logger.LogError(e, "Slot {SlotId} could not start its sandbox and is destroyed", slot.SlotId);
            Destroy(slot);
            throw new SandboxRefusal(RefusalKind.Busy, $"A {slot.Level} sandbox could not be started on this host just now; try again shortly.");
        }
    }

    /// <summary>At broker start: ends per-slot sandboxes a previous run left behind.</summary>
    public int ReclaimSandboxes() => sandboxes.ReclaimOrphans();

    /// <summary>A recycled slot gets a fresh per-slot sandbox around its wiped folders; one that does not start is destroyed.</summary>
    private bool TryStartSandbox(SandboxSlot slot)
    {
        try
        {
            sandboxes.Start(slot);
            return true;
        }
        catch (IOException e)
        {
            logger.LogError(e, "Slot {SlotId} could not restart its sandbox and is destroyed", slot.SlotId);
            Destroy(slot);
            return false;
        }
    }

    public void ResetEnvironment(SandboxSlot slot)
    {
        slot.Environment.Clear();
        var template = options.Value.EffectiveTemplates()[slot.Template];
        foreach (var (name, value) in template.Environment)
        {
            slot.Environment[name] = value;
        }
    }

    /// <summary>What is left of the previous run; empty when the slot is clean.</summary>
    public IReadOnlyList<string> Scan(SandboxSlot slot)
    {
        var leftovers = new List<string>();
        foreach (var (name, dir) in new[] { ("workspace", slot.Workspace), ("/tmp", slot.Tmp) })
        {
            if (!Directory.Exists(dir))
            {
                leftovers.Add($"{name} folder missing");
                continue;
            }
            var entries = Directory.EnumerateFileSystemEntries(dir).Take(5).Select(Path.GetFileName).ToList();
            if (entries.Count > 0)
            {
                leftovers.Add($"{name} still holds {string.Join(", ", entries)}");
            }
        }
        if (SlotDisk.Mounts && !(SlotDisk.IsMountPoint(slot.Workspace) && SlotDisk.IsMountPoint(slot.Tmp)))
        {
            leftovers.Add("workspace or /tmp is not on its size-limited filesystem");
        }
        var processes = SlotProcesses.Find(slot.Uid);
        if (processes.Count > 0)
        {
            leftovers.Add($"{processes.Count} process(es) still running as uid {slot.Uid}");
        }
        var template = options.Value.EffectiveTemplates()[slot.Template].Environment;
        if (slot.Environment.Count != template.Count || slot.Environment.Any(kv => !template.TryGetValue(kv.Key, out var v) || v != kv.Value))
        {
            leftovers.Add("environment differs from the template's");
        }
        return leftovers;
    }

    /// <summary>Kills the slot's processes and removes its folder, record and uid; logs what could not be removed.</summary>
    public void Destroy(SandboxSlot slot)
    {
        sandboxes.Stop(slot);
        SlotProcesses.KillAll(slot.Uid);
        try
        {
            layout.Remove(slot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Slot {SlotId} could not be removed; the next restart reclaims it", slot.SlotId);
        }
    }

    /// <summary>Deletes a folder's contents without following links, then recreates it empty, private to the slot's uid.</summary>
    private void Wipe(string dir, int uid)
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
        layout.MakePrivate(dir, uid);
    }
}
