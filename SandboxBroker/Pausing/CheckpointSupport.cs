using AgentCloud.SandboxBroker.Isolation;

namespace AgentCloud.SandboxBroker.Pausing;

/// <summary>Whether a pause keeps the sandbox's processes at a level, and why not.</summary>
public sealed record CheckpointSupport(bool Supported, string Reason)
{
    /// <summary>
    /// gVisor, where runsc runs as root: <c>runsc checkpoint</c> saves the slot's sandbox (processes and memory) and
    /// <c>runsc restore</c> brings it back into a new slot under the same uid (held for the paused sandbox, also across a
    /// broker restart), its workspace, /tmp and its processes' output files written back first. Background processes
    /// there write their output to files inside the sandbox, never to host pipes (which a restore cannot reconnect), and
    /// the broker reads those files for logs. A pause may still keep files only (an exec running, the image over the
    /// cap, runsc refusing); its answer then says why. Rootless runsc maps only the broker's uid, and the other levels
    /// run on the host kernel, which cannot checkpoint processes for the broker.
    /// </summary>
    public static CheckpointSupport At(string level) => level switch
    {
        IsolationLevels.Gvisor when LaunchPrefix.BrokerIsRoot => new(true,
            "gvisor: the sandbox's processes are checkpointed with their memory (runsc checkpoint) and restored at resume under the same uid, " +
            "with their output files, workspace and /tmp"),
        IsolationLevels.Gvisor => new(false,
            "gvisor: processes are not checkpointed, only the workspace is kept: runsc runs rootless here, and a restore needs the slot's own uid, which only a root broker gives"),
        IsolationLevels.Firecracker => new(false, "firecracker: VM snapshots are not taken; only the workspace is kept"),
        _ => new(false, $"{level}: processes run on the host kernel, which cannot checkpoint them for the broker; only the workspace is kept"),
    };
}
