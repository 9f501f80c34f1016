using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// unshare: new user, PID, mount, network (lo only, down), IPC and UTS namespaces under the sandbox's own uid.
/// The host's files stay visible but only as that uid sees them (read-only, other sandboxes' folders are 0700);
/// /tmp and /dev/shm are the slot's own. Weaker than bubblewrap; no egress (no proxy forwarder).
/// </summary>
public sealed class NamespaceBackend(IOptions<SandboxBrokerOptions> options, HostProbe probe) : ISandboxBackend
{
    public string Level => IsolationLevels.Namespace;

    public BackendAvailability Probe()
    {
        if (!probe.OnPath("unshare", out var _))
        {
            return new(Level, false, "unshare not found on PATH (util-linux)");
        }
        var trial = probe.Trial(["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--net", "--ipc", "--uts", "/usr/bin/true"]);
        return trial is null
            ? new(Level, true, "unshare runs with user, pid, mount, net, ipc and uts namespaces")
            : new(Level, false, $"unshare trial run failed: {trial}");
    }

    public ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec)
    {
        var args = LaunchPrefix.For(slot, options.Value.Limits, switchUser: true);
        args.AddRange(["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc",
            "--net", "--ipc", "--uts", "--", "/usr/bin/env", "-i"]);
        foreach (var (name, value) in spec.Environment)
        {
            args.Add($"{name}={(name == "HOME" && value == "/workspace" ? slot.Workspace : value)}");
        }
        args.AddRange(["/usr/bin/sh", "-c", SetupScript, "agentcloud-ns", slot.Tmp, slot.Workspace]);
        args.AddRange(spec.Command);
        return new ProcessLaunch("setsid", args);
    }

    /// <summary>
    /// Enters the workspace first (it may live under /tmp), then covers the host's world-writable folders
    /// (/tmp with the slot's own, /var/tmp and /dev/shm with fresh tmpfs) so sandboxes share nothing through them.
    /// </summary>
    public const string SetupScript =
        "cd \"$2\" && mount --bind \"$1\" /tmp && mount -t tmpfs -o size=64m tmpfs /var/tmp && mount -t tmpfs -o size=64m tmpfs /dev/shm && shift 2 && exec \"$@\"";
}
