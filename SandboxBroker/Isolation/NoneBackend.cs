using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>A plain process under the sandbox's own uid with rlimits; only for tiers that explicitly accept it.</summary>
public sealed class NoneBackend(IOptions<SandboxBrokerOptions> options) : ISandboxBackend
{
    public string Level => IsolationLevels.None;

    public BackendAvailability Probe() =>
        new(Level, true, "plain process: own uid and rlimits only, no namespaces");

    public ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec)
    {
        var args = LaunchPrefix.For(slot, options.Value.Limits, switchUser: true);
        args.AddRange(["/usr/bin/env", "-i"]);
        foreach (var (name, value) in spec.Environment)
        {
            var v = name switch
            {
                "HOME" when value == "/workspace" => slot.Workspace,
                "TMPDIR" when value == "/tmp" => slot.Tmp,
                _ => value,
            };
            args.Add($"{name}={v}");
        }
        args.AddRange(["/usr/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "agentcloud-none", slot.Workspace]);
        args.AddRange(spec.Command);
        return new ProcessLaunch("setsid", args);
    }
}
