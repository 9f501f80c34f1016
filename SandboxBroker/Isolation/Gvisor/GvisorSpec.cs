using System.Text.Json.Nodes;
using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Isolation.Gvisor;

/// <summary>
/// The OCI documents gVisor runs: the slot's long-lived container (a reaping idle init over the shared read-only
/// root, with the same mounts bubblewrap gives) and one process document per exec.
/// </summary>
public static class GvisorSpec
{
    public const string EgressFolderInside = "/run/agentcloud";

    /// <summary>Background processes' output files: a folder the broker owns (the tenant can write its files, never replace them), restored with a checkpoint.</summary>
    public const string OutputFolderInside = "/run/agentcloud-output";

    /// <summary>
    /// PID 1 of the slot's container: idles, and reaps what execs leave behind (dash's wait reaps any child). Its stdio
    /// becomes the sandbox's own /dev/null first: a host descriptor held inside cannot be restored from a checkpoint.
    /// </summary>
    public static readonly string[] InitCommand = ["/usr/bin/sh", "-c", "exec </dev/null >/dev/null 2>&1; while :; do sleep 86400 & wait $!; done"];

    /// <summary>
    /// Before everything else in a background process kept in files: its stdio leaves the exec's host pipes for the
    /// sandbox's own /dev/null, since no process may hold a host descriptor when the sandbox is checkpointed.
    /// </summary>
    public static readonly string[] DetachFromHost = ["/usr/bin/sh", "-c", "exec </dev/null >/dev/null 2>&1; exec \"$@\"", "agentcloud-detach"];

    /// <summary>
    /// Each exec runs in its own PID namespace inside the sandbox, so when its command ends (or the broker kills the
    /// namespace's parent on a timeout) every process it started ends too, as with bubblewrap's per-exec namespace.
    /// The tenant keeps its uid: the user namespace maps only that, so the command holds no capability.
    /// </summary>
    public static readonly string[] PerExecNamespace = ["/usr/bin/unshare", "--user", "--map-current-user", "--pid", "--fork", "--kill-child", "--"];

    /// <summary>
    /// A background process gets a PID namespace of its own too, so a KILL of it (its namespace's parent) takes everything
    /// it started, even what left its session. A shell is that namespace's first process and the command its child: a
    /// namespace's first process would ignore TERM, INT and HUP, so the broker signals the command itself (see
    /// <see cref="GvisorBackend.SignalProcessAsync"/>); when the command ends, the shell ends with its status and the namespace with it.
    /// </summary>
    public static readonly string[] BackgroundInit = ["/usr/bin/sh", "-c", "\"$@\"; exit $?", "agentcloud-process"];

    /// <summary>
    /// As <see cref="BackgroundInit"/>, with the output in files inside the sandbox instead of the exec's host pipes, which a
    /// checkpoint cannot carry: a restored process keeps writing to its files, and the broker reads them. The status is kept too.
    /// </summary>
    public static string[] BackgroundInitToFiles(string name) =>
    [
        "/usr/bin/sh", "-c", "exec </dev/null >>\"$1\" 2>>\"$2\"; f=$3; shift 3; \"$@\"; s=$?; echo $s >\"$f\"; exit $s", "agentcloud-process",
        $"{OutputFolderInside}/{name}.out", $"{OutputFolderInside}/{name}.err", $"{OutputFolderInside}/{name}.status",
    ];

    /// <summary>Host files bound read-only when the host has them (certificates, time zone, alternatives' links).</summary>
    public static readonly string[] OptionalEtc = ["/etc/alternatives", "/etc/ssl", "/etc/ca-certificates", "/etc/localtime"];

    public static JsonObject Container(SandboxSlot slot, string rootfs, string egressFolder, SandboxLimits limits, int appUid, string? layer = null, string? outputFolder = null)
    {
        var mounts = new JsonArray(Mount("/usr", "bind", "/usr", "rbind", "ro"), Mount("/proc", "proc", "proc"));
        foreach (var etc in OptionalEtc.Where(p => Path.Exists(p)))
        {
            mounts.Add(Mount(etc, "bind", etc, "rbind", "ro"));
        }
        mounts.Add(Mount("/dev/shm", "tmpfs", "shm", "nosuid", "nodev", "mode=1777"));
        mounts.Add(Mount("/tmp", "bind", slot.Tmp, "rbind", "rw"));
        mounts.Add(Mount("/workspace", "bind", slot.Workspace, "rbind", "rw"));
        mounts.Add(Mount(EgressFolderInside, "bind", egressFolder, "rbind", "ro"));
        if (outputFolder is not null)
        {
            mounts.Add(Mount(OutputFolderInside, "bind", outputFolder, "rbind", "rw"));
        }
        if (layer is not null)
        {
            mounts.Add(Mount(SandboxTemplate.LayerMountPoint, "bind", layer, "rbind", "ro"));
        }
        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = Strings(InitCommand),
                ["env"] = Strings(["PATH=/usr/bin:/bin"]),
                ["cwd"] = "/",
                ["noNewPrivileges"] = true,
                ["rlimits"] = Rlimits(limits),
            },
            ["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = true },
            ["hostname"] = "sandbox",
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["namespaces"] = new JsonArray(
                    new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "network" }, new JsonObject { ["type"] = "ipc" },
                    new JsonObject { ["type"] = "uts" }, new JsonObject { ["type"] = "mount" }),
            },
            // Read back when reclaiming orphans: which slot a container served and whose uid ran in it.
            ["annotations"] = new JsonObject { ["dev.agentcloud.slot"] = slot.SlotId, ["dev.agentcloud.uid"] = appUid.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
    }

    /// <summary>One exec: the command (behind the forwarder when egress is wired) in its own PID namespace, as the slot's uid, with no capability.</summary>
    public static JsonObject Process(ExecSpec spec, SandboxLimits limits, int appUid, string? outputName = null)
    {
        var env = spec.Environment.Select(kv => $"{kv.Key}={kv.Value}").ToList();
        StatxCompat.Apply(env);
        var command = new List<string>([.. outputName is null ? [] : DetachFromHost, .. PerExecNamespace, .. NestedUserNamespaceFilter.Prefix,
            .. !spec.Background ? [] : outputName is null ? BackgroundInit : BackgroundInitToFiles(outputName)]);
        if (spec.EgressSocket is not null)
        {
            var proxy = $"http://127.0.0.1:{BubblewrapBackend.ProxyPort}";
            env.RemoveAll(e => ProxyVariables.Any(v => e.StartsWith(v + "=", StringComparison.Ordinal)));
            env.AddRange(ProxyVariables.Select(v => v == "no_proxy" ? "no_proxy=localhost,127.0.0.1" : $"{v}={proxy}"));
            command.AddRange(["/usr/bin/sh", "-c", BubblewrapBackend.ForwarderScript, "agentcloud-egress"]);
        }
        command.AddRange(spec.Command);
        return new JsonObject
        {
            ["user"] = new JsonObject { ["uid"] = appUid, ["gid"] = appUid },
            ["args"] = Strings(command),
            ["env"] = Strings(env),
            ["cwd"] = "/workspace",
            ["noNewPrivileges"] = true,
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = new JsonArray(), ["effective"] = new JsonArray(), ["inheritable"] = new JsonArray(),
                ["permitted"] = new JsonArray(), ["ambient"] = new JsonArray(),
            },
            ["rlimits"] = Rlimits(limits),
        };
    }

    private static readonly string[] ProxyVariables = ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy"];

    private static JsonObject Mount(string destination, string type, string source, params string[] options) =>
        new() { ["destination"] = destination, ["type"] = type, ["source"] = source, ["options"] = Strings(options) };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)v).ToArray());

    private static JsonArray Rlimits(SandboxLimits limits)
    {
        JsonObject Rlimit(string type, long value) => new() { ["type"] = type, ["hard"] = value, ["soft"] = value };
        return new JsonArray(
            Rlimit("RLIMIT_CPU", limits.CpuSeconds), Rlimit("RLIMIT_AS", limits.AddressSpaceBytes), Rlimit("RLIMIT_NPROC", limits.MaxProcesses),
            Rlimit("RLIMIT_FSIZE", limits.MaxFileBytes), Rlimit("RLIMIT_NOFILE", limits.OpenFiles), Rlimit("RLIMIT_CORE", 0));
    }
}
