using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>A plain process under the sandbox's own uid with rlimits: for operators in development, never offered to tenants.</summary>
public sealed class NoneBackend(IOptions<SandboxBrokerOptions> options) : ISandboxBackend
{
    public string Level => IsolationLevels.None;

    public BackendAvailability Probe() => options.Value.EnableNoneLevel
        ? new(Level, true, "plain process: own uid and rlimits only, no namespaces (operator-only, for development)")
        : new(Level, false, "operator-only, for development: set SandboxBroker:EnableNoneLevel=true (tenants' policies never list it)");

    public ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec)
    {
        var env = spec.Environment.ToDictionary(kv => kv.Key, kv => kv.Key switch
        {
            "HOME" when kv.Value == "/workspace" => slot.Workspace,
            "TMPDIR" when kv.Value == "/tmp" => slot.Tmp,
            _ => kv.Value,
        }, StringComparer.Ordinal);
        var (args, handoff) = LaunchPrefix.WithEnvironment(slot, options.Value.LimitsOf(slot.Template), env);
        args.AddRange(["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "agentcloud-none", slot.Workspace]);
        args.AddRange(spec.Command);
        return new ProcessLaunch("setsid", args) { Handoff = handoff };
    }
}
