using AgentCloud.SandboxBroker.Isolation;

namespace AgentCloud.SandboxBroker.Pausing;

/// <summary>Whether a pause keeps the sandbox's processes at a level, and why not: the broker keeps files only, at every level.</summary>
public sealed record CheckpointSupport(bool Supported, string Reason)
{
    /// <summary>
    /// gVisor: runsc checkpoint and restore work where runsc runs as root (tried on this platform's hosts: a container
    /// restores from its image into a bundle whose host folders differ, its processes still running), but two things keep
    /// the broker from restoring: a resumed sandbox gets a new slot whose uid is not the one the checkpointed processes
    /// run as, and a process's stdout and stderr are host pipes of its <c>runsc exec</c>, which a restore cannot
    /// reconnect (writes to them fail afterwards, so a server that logs each request drops it). The other levels run on
    /// the host kernel.
    /// </summary>
    public static CheckpointSupport At(string level) => level switch
    {
        IsolationLevels.Gvisor => new(false,
            "gvisor: processes are not checkpointed, only the workspace is kept: runsc can checkpoint and restore the container, but a resumed sandbox " +
            "runs in a new slot under a new uid (the restored processes would keep the old one), and their stdout and stderr are host pipes a restore " +
            "cannot reconnect (writes to them fail after a restore)"),
        IsolationLevels.Firecracker => new(false, "firecracker: VM snapshots are not taken; only the workspace is kept"),
        _ => new(false, $"{level}: processes run on the host kernel, which cannot checkpoint them for the broker; only the workspace is kept"),
    };
}
