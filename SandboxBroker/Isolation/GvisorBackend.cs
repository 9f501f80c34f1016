using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// gVisor: <c>runsc run</c> on an OCI bundle written per exec (user-space kernel; no network device unless egress,
/// the same mounts as bubblewrap, rlimits in the spec). Unavailable where <c>runsc</c> is not installed.
/// </summary>
public sealed class GvisorBackend(IOptions<SandboxBrokerOptions> options, HostProbe probe) : ISandboxBackend
{
    public string Level => IsolationLevels.Gvisor;

    public BackendAvailability Probe()
    {
        if (!probe.OnPath("runsc", out _))
        {
            return new(Level, false, "runsc (gVisor) not found on PATH");
        }
        var trial = probe.Trial(["runsc", "--rootless", "--network=none", "do", "/usr/bin/true"]);
        return trial is null ? new(Level, true, "runsc runs (rootless)") : new(Level, false, $"runsc trial run failed: {trial}");
    }

    public ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec)
    {
        var bundle = Path.Combine(slot.Directory, "oci");
        var containerId = $"{slot.SlotId}-{Guid.NewGuid():N}";
        var args = LaunchPrefix.For(slot, options.Value.Limits, switchUser: false);
        args.AddRange(["runsc", "--rootless", "--network=none", "--ignore-cgroups", "--root", Path.Combine(slot.Directory, "runsc-state"),
            "run", "--bundle", bundle, containerId]);
        return new ProcessLaunch("setsid", args)
        {
            FilesToWrite = new Dictionary<string, string> { [Path.Combine(bundle, "config.json")] = BuildSpec(slot, spec).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) },
        };
    }

    /// <summary>The OCI runtime spec: read-only /usr, the workspace and /tmp bound in, own namespaces, rlimits.</summary>
    public JsonObject BuildSpec(SandboxSlot slot, ExecSpec spec)
    {
        var limits = options.Value.Limits;
        JsonObject Mount(string destination, string type, string source, params string[] opts) =>
            new() { ["destination"] = destination, ["type"] = type, ["source"] = source, ["options"] = new JsonArray(opts.Select(o => (JsonNode)o).ToArray()) };
        JsonObject Rlimit(string type, long value) => new() { ["type"] = type, ["hard"] = value, ["soft"] = value };
        var env = spec.Environment.Select(kv => (JsonNode)$"{kv.Key}={kv.Value}").ToArray();
        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["user"] = new JsonObject { ["uid"] = slot.Uid, ["gid"] = slot.Uid },
                ["args"] = new JsonArray(spec.Command.Select(c => (JsonNode)c).ToArray()),
                ["env"] = new JsonArray(env),
                ["cwd"] = "/workspace",
                ["noNewPrivileges"] = true,
                ["rlimits"] = new JsonArray(
                    Rlimit("RLIMIT_CPU", limits.CpuSeconds), Rlimit("RLIMIT_AS", limits.AddressSpaceBytes),
                    Rlimit("RLIMIT_NPROC", limits.MaxProcesses), Rlimit("RLIMIT_FSIZE", limits.MaxFileBytes),
                    Rlimit("RLIMIT_NOFILE", limits.OpenFiles)),
            },
            ["root"] = new JsonObject { ["path"] = "/var/empty", ["readonly"] = true },
            ["hostname"] = "sandbox",
            ["mounts"] = new JsonArray(
                Mount("/usr", "bind", "/usr", "rbind", "ro"),
                Mount("/proc", "proc", "proc"),
                Mount("/tmp", "bind", slot.Tmp, "rbind", "rw"),
                Mount("/workspace", "bind", slot.Workspace, "rbind", "rw")),
            ["linux"] = new JsonObject
            {
                ["namespaces"] = new JsonArray(
                    new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "network" }, new JsonObject { ["type"] = "ipc" },
                    new JsonObject { ["type"] = "uts" }, new JsonObject { ["type"] = "mount" }),
            },
        };
    }
}
