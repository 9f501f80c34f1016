using AgentCloud.SandboxBroker.Isolation;

namespace AgentCloud.SandboxBroker.Pausing;

/// <summary>Whether a pause keeps the sandbox's processes at a level, and why not: the broker keeps files only, at every level.</summary>
public sealed record CheckpointSupport(bool Supported, string Reason)
{
    /// <summary>
    /// gVisor itself can checkpoint a container where runsc runs as root, but a resumed sandbox gets a new slot (new
    /// uid, new folders) that such a checkpoint cannot be restored into; the other levels run on the host kernel.
    /// </summary>
    public static CheckpointSupport At(string level) => level switch
    {
        IsolationLevels.Gvisor => new(false,
            "gvisor: processes are not checkpointed; a resumed sandbox runs in a new slot (new uid and folders) that a runsc checkpoint cannot be restored into, so only the workspace is kept"),
        IsolationLevels.Firecracker => new(false, "firecracker: VM snapshots are not taken; only the workspace is kept"),
        _ => new(false, $"{level}: processes run on the host kernel, which cannot checkpoint them for the broker; only the workspace is kept"),
    };
}
