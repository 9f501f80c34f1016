using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentCloud.SandboxBroker.Isolation.Firecracker;

/// <summary>
/// One exec as a microVM boot. The host side: the request (argv, env, uid) as files in a private exec folder, imaged
/// with the workspace into ext4 drives; the guest's <c>/sbin/agentcloud-init</c> (built by eng/firecracker-images.sh)
/// runs it and leaves stdout, stderr and the exit code on the io drive; the host reads them back with debugfs (user
/// space: a tenant-made filesystem is never mounted by the host kernel) and copies the workspace back.
/// </summary>
public static class FirecrackerExec
{
    public const int MemoryMiB = 512;

    /// <summary>The guest's drives, in the order the guest init expects them: /dev/vda root, vdb workspace, vdc io.</summary>
    public static JsonObject Config(string kernel, string rootfs, string execDir, int vcpus = 1) => new()
    {
        ["boot-source"] = new JsonObject
        {
            ["kernel_image_path"] = kernel,
            ["boot_args"] = "console=ttyS0 quiet loglevel=0 reboot=k panic=1 pci=off ro init=/sbin/agentcloud-init",
        },
        ["drives"] = new JsonArray(
            Drive("rootfs", rootfs, root: true, readOnly: true),
            Drive("workspace", Path.Combine(execDir, "workspace.ext4"), root: false, readOnly: false),
            Drive("io", Path.Combine(execDir, "io.ext4"), root: false, readOnly: false)),
        ["machine-config"] = new JsonObject { ["vcpu_count"] = vcpus, ["mem_size_mib"] = MemoryMiB, ["smt"] = false },
        // No network interface at all: a microVM has no egress.
        ["network-interfaces"] = new JsonArray(),
    };

    private static JsonObject Drive(string id, string path, bool root, bool readOnly) =>
        new() { ["drive_id"] = id, ["path_on_host"] = path, ["is_root_device"] = root, ["is_read_only"] = readOnly };

    /// <summary>
    /// The request files: <c>command</c> holds the environment, then the program and its arguments, NUL-separated for
    /// <c>xargs -0 env -i</c> (a leading <c>/usr/bin/env</c> keeps an argument with '=' from reading as a variable).
    /// </summary>
    public static IReadOnlyDictionary<string, byte[]> Request(ExecSpec spec, int uid)
    {
        var parts = spec.Environment.Select(kv => $"{kv.Key}={kv.Value}").Append("/usr/bin/env").Concat(spec.Command);
        return new Dictionary<string, byte[]>
        {
            ["command"] = Encoding.UTF8.GetBytes(string.Join('\0', parts)),
            ["uid"] = Encoding.ASCII.GetBytes(uid.ToString(CultureInfo.InvariantCulture)),
        };
    }

    /// <summary>
    /// The host wrapper, started with setsid (so a timeout kills it and the VM together): stdin into the io folder,
    /// workspace and io imaged, the VM booted, then the outputs printed, the workspace copied back and the exit code
    /// returned. Arguments: exec folder, workspace, VM id, io drive MiB, workspace drive MiB.
    /// </summary>
    public const string HostScript = """
        set -eu
        d="$1"; ws="$2"; id="$3"
        cat > "$d/io/stdin"
        mkdir -p "$d/wsroot" && cp -a "$ws" "$d/wsroot/workspace"
        mkfs.ext4 -q -F -d "$d/wsroot" "$d/workspace.ext4" "$5M" >/dev/null
        mkfs.ext4 -q -F -d "$d/io" "$d/io.ext4" "$4M" >/dev/null
        rm -rf "$d/io" "$d/wsroot"
        firecracker --no-api --id "$id" --config-file "$d/config.json" > "$d/console.log" 2>&1 || true
        debugfs -R "dump /stdout $d/stdout" "$d/io.ext4" >/dev/null 2>&1 || : > "$d/stdout"
        debugfs -R "dump /stderr $d/stderr" "$d/io.ext4" >/dev/null 2>&1 || : > "$d/stderr"
        debugfs -R "dump /exit $d/exit" "$d/io.ext4" >/dev/null 2>&1 || echo 125 > "$d/exit"
        mkdir "$d/back" && debugfs -R "rdump /workspace $d/back" "$d/workspace.ext4" >/dev/null 2>&1
        if [ -d "$d/back/workspace" ]; then
          find "$ws" -mindepth 1 -delete && cp -a "$d/back/workspace/." "$ws/"
        fi
        cat "$d/stdout"; cat "$d/stderr" >&2
        code=$(cat "$d/exit"); rm -rf "$d"
        exit "${code:-125}"
        """;
}
