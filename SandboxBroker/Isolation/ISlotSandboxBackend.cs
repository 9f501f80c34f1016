using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// A backend whose sandbox lives as long as its slot: started when the slot is made (so a warm slot is pre-booted),
/// restarted fresh at every recycle, stopped when the slot is destroyed; each exec is one process inside it.
/// </summary>
public interface ISlotSandboxBackend : ISandboxBackend
{
    /// <summary>Boots the slot's sandbox around its current workspace and /tmp folders; throws when it cannot.</summary>
    void Start(SandboxSlot slot);

    /// <summary>Ends the slot's sandbox and everything in it; null when nothing is left, else what is.</summary>
    string? Stop(SandboxSlot slot);

    /// <summary>Where the broker's egress proxy listens for this slot: a folder bound into the sandbox at start.</summary>
    string EgressSocketPath(SandboxSlot slot);

    /// <summary>Ends every sandbox a previous broker run left behind (at start, before any slot is made).</summary>
    int ReclaimOrphans();
}
