using AgentCloud.SandboxBroker.Native;
using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// What every backend's command starts with: a new session (so a timeout kills the whole process group),
/// rlimits, and the sandbox's own host uid (when the broker runs as root).
/// </summary>
public static class LaunchPrefix
{
    public static bool BrokerIsRoot { get; } = OperatingSystem.IsLinux() && Libc.GetEuid() == 0;

    public static List<string> For(SandboxSlot slot, SandboxLimits limits, bool switchUser)
    {
        var args = new List<string>
        {
            "prlimit", $"--cpu={limits.CpuSeconds}", $"--as={limits.AddressSpaceBytes}", $"--nproc={limits.MaxProcesses}",
            $"--fsize={limits.MaxFileBytes}", $"--nofile={limits.OpenFiles}", "--core=0", "--",
        };
        if (switchUser && BrokerIsRoot)
        {
            args.AddRange(["setpriv", $"--reuid={slot.Uid}", $"--regid={slot.Uid}", "--clear-groups", "--"]);
        }
        return args;
    }

    /// <summary>The prefix under the sandbox's uid, then the loader of its environment (sourced last: for a plain process).</summary>
    public static (List<string> Args, EnvironmentHandoff Handoff) WithEnvironment(SandboxSlot slot, SandboxLimits limits, IReadOnlyDictionary<string, string> environment)
    {
        var handoff = EnvironmentHandoff.ShellExports(slot, environment);
        var args = For(slot, limits, switchUser: true);
        args.AddRange(handoff.Loader);
        return (args, handoff);
    }
}
