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

    /// <summary>Boots a fresh sandbox for a slot whose sandbox ended during a lease, around the same folders and egress socket.</summary>
    void Restart(SandboxSlot slot);

    /// <summary>Ends the slot's sandbox and everything in it; null when nothing is left, else what is.</summary>
    string? Stop(SandboxSlot slot);

    /// <summary>Where the broker's egress proxy listens for this slot: a folder bound into the sandbox at start.</summary>
    string EgressSocketPath(SandboxSlot slot);

    /// <summary>Ends every sandbox a previous broker run left behind (at start, before any slot is made).</summary>
    int ReclaimOrphans();

    /// <summary>The host processes that hold the slot's sandbox (and the tenant code's memory), to move into a lease's cgroup.</summary>
    IReadOnlyList<int> HostProcesses(SandboxSlot slot);

    /// <summary>Whether the slot's sandbox still runs: a cgroup limit met by tenant code can end it whole.</summary>
    bool Running(SandboxSlot slot);

    /// <summary>pids.max of a lease's group at this level: host tasks, which need not be one per tenant process.</summary>
    long HostTaskBudget(SandboxLimits limits);
}
