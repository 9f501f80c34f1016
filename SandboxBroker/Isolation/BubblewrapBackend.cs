using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// bubblewrap: new user, PID, network, IPC, UTS and cgroup namespaces; /usr read-only; the workspace at
/// /workspace and the slot's own /tmp; nothing else of the host. With egress, the broker's proxy socket is
/// bound in and socat forwards 127.0.0.1:3128 (the only interface is lo) to it.
/// </summary>
public sealed class BubblewrapBackend(IOptions<SandboxBrokerOptions> options, HostProbe probe) : ISandboxBackend
{
    public const string EgressSocketInside = "/run/agentcloud/egress.sock";
    public const int ProxyPort = 3128;

    public string Level => IsolationLevels.Bubblewrap;

    public BackendAvailability Probe()
    {
        if (!probe.OnPath("bwrap", out var _))
        {
            return new(Level, false, "bwrap not found on PATH (apt package bubblewrap)");
        }
        var trial = probe.Trial(["bwrap", .. Namespaces, "--die-with-parent", .. SystemMounts, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "/usr/bin/true"]);
        return trial is null
            ? new(Level, true, "bwrap runs with user, pid, net, ipc, uts and cgroup namespaces, no nested user namespaces, no capabilities")
            : new(Level, false, $"bwrap trial run failed: {trial}");
    }

    public static readonly string[] SystemMounts =
    [
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
    ];

    public ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec)
    {
        var env = new Dictionary<string, string>(spec.Environment, StringComparer.Ordinal);
        if (spec.EgressSocket is not null)
        {
            var proxy = $"http://127.0.0.1:{ProxyPort}";
            foreach (var name in new[] { "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY" })
            {
                env[name] = proxy;
            }
            env["no_proxy"] = "localhost,127.0.0.1";
        }
        // The environment comes as bwrap arguments read from fd 3; bwrap itself runs under the broker's clean one.
        var handoff = EnvironmentHandoff.BubblewrapArguments(slot, env);
        var args = LaunchPrefix.For(slot, options.Value.LimitsOf(slot.Template), switchUser: true);
        args.AddRange(handoff.Opener);
        args.AddRange([probe.OnPath("bwrap", out var bwrap) ? bwrap : "/usr/bin/bwrap", "--args", "3", .. Namespaces, "--die-with-parent", "--new-session", "--hostname", "sandbox"]);
        args.AddRange(SystemMounts);
        args.AddRange(["--ro-bind-try", "/etc/alternatives", "/etc/alternatives", "--ro-bind-try", "/etc/ssl", "/etc/ssl",
            "--ro-bind-try", "/etc/ca-certificates", "/etc/ca-certificates", "--ro-bind-try", "/etc/localtime", "/etc/localtime"]);
        if (options.Value.LayerOf(slot.Template) is { } layer)
        {
            args.AddRange(["--ro-bind", layer, SandboxTemplate.LayerMountPoint]);
        }
        args.AddRange(["--proc", "/proc", "--dev", "/dev", "--bind", slot.Tmp, "/tmp", "--bind", slot.Workspace, "/workspace",
            "--chdir", "/workspace"]);
        if (spec.EgressSocket is null)
        {
            args.Add("--");
            args.AddRange(spec.Command);
        }
        else
        {
            args.AddRange(["--bind", spec.EgressSocket, EgressSocketInside, "--", "/usr/bin/sh", "-c", ForwarderScript, "agentcloud-egress"]);
            args.AddRange(spec.Command);
        }
        return new ProcessLaunch("setsid", args) { Handoff = handoff };
    }

    /// <summary>Every namespace; no nested user namespace inside (so no fresh capabilities to mount or unmount with).</summary>
    public static readonly string[] Namespaces = ["--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL"];

    /// <summary>Starts the in-sandbox forwarder, waits until it listens (so the command's first connection succeeds), then runs the command.</summary>
    public static readonly string ForwarderScript =
        $"socat TCP-LISTEN:{ProxyPort},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:{EgressSocketInside} 2>/dev/null & " +
        $"i=0; while [ $i -lt 5000 ] && ! grep -q ':{ProxyPort:X4} 00000000:0000 0A' /proc/net/tcp; do i=$((i+1)); done; exec \"$@\"";
}
