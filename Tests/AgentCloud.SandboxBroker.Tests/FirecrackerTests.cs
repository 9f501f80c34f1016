using System.Diagnostics;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Isolation.Firecracker;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// The firecracker level as far as a host without KVM allows: why it is unavailable, the VM it would boot, the
/// request it hands the guest, and the host side of an exec with a stand-in for the VM that does what the guest init does.
/// </summary>
public sealed class FirecrackerTests : IDisposable
{
    private readonly string _root = BrokerFactory.NewRoot();

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private IOptions<SandboxBrokerOptions> Options(string kernel = "/images/vmlinux", string rootfs = "/images/rootfs.ext4") =>
        Microsoft.Extensions.Options.Options.Create(new SandboxBrokerOptions { Root = _root, FirecrackerKernelImage = kernel, FirecrackerRootfsImage = rootfs });

    private sealed class Host(bool kvm, params string[] files) : HostProbe
    {
        public override bool OnPath(string program, out string path)
        {
            path = "/usr/bin/" + program;
            return true;
        }

        public override bool DeviceUsable(string device) => kvm;

        public override bool FileExists(string path) => files.Contains(path);
    }

    [Fact]
    public void This_host_reports_firecracker_unavailable_with_a_reason_unless_it_has_kvm_and_the_images()
    {
        var here = new FirecrackerBackend(Options(), new HostProbe()).Probe();

        // No image is configured at /images on any host, so even one with KVM says which file is missing.
        Assert.False(here.Available);
        Assert.Matches("firecracker|/dev/kvm|/images/vmlinux", here.Reason);
    }

    [Fact]
    public void Configured_images_that_do_not_exist_are_named_with_the_script_that_builds_them()
    {
        var missingRoot = new FirecrackerBackend(Options(), new Host(kvm: true, "/images/vmlinux")).Probe();
        var unconfigured = new FirecrackerBackend(Options(kernel: "", rootfs: ""), new Host(kvm: true)).Probe();
        var ready = new FirecrackerBackend(Options(), new Host(kvm: true, "/images/vmlinux", "/images/rootfs.ext4")).Probe();

        Assert.False(missingRoot.Available);
        Assert.Contains("/images/rootfs.ext4", missingRoot.Reason);
        Assert.Contains("eng/firecracker-images.sh", missingRoot.Reason);
        Assert.Contains("eng/firecracker-images.sh", unconfigured.Reason);
        Assert.True(ready.Available, ready.Reason);
    }

    [Fact]
    public void The_vm_boots_the_configured_kernel_into_the_guest_init_with_a_read_only_root_and_no_network_interface()
    {
        var config = FirecrackerExec.Config("/images/vmlinux", "/images/rootfs.ext4", "/x/exec");

        Assert.Equal("/images/vmlinux", (string)config["boot-source"]!["kernel_image_path"]!);
        Assert.Contains("init=/sbin/agentcloud-init", (string)config["boot-source"]!["boot_args"]!);
        var drives = config["drives"]!.AsArray().Select(d => ((string)d!["drive_id"]!, (string)d["path_on_host"]!, (bool)d["is_root_device"]!, (bool)d["is_read_only"]!)).ToList();
        Assert.Equal([("rootfs", "/images/rootfs.ext4", true, true), ("workspace", "/x/exec/workspace.ext4", false, false), ("io", "/x/exec/io.ext4", false, false)], drives);
        Assert.Empty(config["network-interfaces"]!.AsArray());
        Assert.Equal(FirecrackerExec.MemoryMiB, (int)config["machine-config"]!["mem_size_mib"]!);
    }

    [Fact]
    public void The_request_carries_env_then_argv_for_env_i_and_never_reaches_the_command_line()
    {
        var slot = NewSlot();
        var spec = new ExecSpec(["python3", "-c", "x=1"], new Dictionary<string, string> { ["AGENTCLOUD_KEY"] = "ac_hidden" }, null);

        var launch = new FirecrackerBackend(Options(), new HostProbe()).BuildLaunch(slot, spec);

        Assert.DoesNotContain(launch.Arguments, a => a.Contains("ac_hidden", StringComparison.Ordinal));
        var execDir = launch.Arguments[launch.Arguments.ToList().IndexOf("agentcloud-firecracker") + 1];
        var command = Path.Combine(execDir, "io", "command");
        Assert.Equal("AGENTCLOUD_KEY=ac_hidden\0/usr/bin/env\0python3\0-c\0x=1", File.ReadAllText(command));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(command));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(execDir));
        launch.Completed!(true);
        Assert.False(Directory.Exists(execDir));
    }

    [Fact]
    public async Task The_host_side_images_the_workspace_and_request_and_returns_the_guests_output_exit_code_and_files()
    {
        var slot = NewSlot();
        await File.WriteAllTextAsync(Path.Combine(slot.Workspace, "input.txt"), "from the workspace");
        var spec = new ExecSpec(["sh", "-c", "unused by the stand-in"], new Dictionary<string, string> { ["A"] = "1" }, null);
        var launch = new FirecrackerBackend(Options(), new HostProbe()).BuildLaunch(slot, spec);
        var fakeBin = Path.Combine(_root, "bin");
        Directory.CreateDirectory(fakeBin);
        var firecracker = Path.Combine(fakeBin, "firecracker");
        await File.WriteAllTextAsync(firecracker, StandInVm);
        File.SetUnixFileMode(firecracker, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var psi = new ProcessStartInfo(launch.FileName) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in launch.Arguments)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["PATH"] = $"{fakeBin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync("piped in");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        launch.Completed!(false);

        Assert.True("piped in|from the workspace|A=1" == await stdout, $"exit {process.ExitCode}, stdout '{await stdout}', stderr '{await stderr}'");
        Assert.Equal("guest stderr\n", await stderr);
        Assert.Equal(7, process.ExitCode);
        Assert.Equal("made in the guest\n", await File.ReadAllTextAsync(Path.Combine(slot.Workspace, "made.txt")));
        Assert.Equal("from the workspace", await File.ReadAllTextAsync(Path.Combine(slot.Workspace, "input.txt")));
    }

    /// <summary>Stands in for the microVM: reads the io and workspace drives as the guest init would and writes its results into them.</summary>
    private const string StandInVm = """
        #!/bin/sh
        set -eu
        cfg="$5"
        drive() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["drives"][int(sys.argv[2])]["path_on_host"])' "$cfg" "$1"; }
        ws="$(drive 1)"; io="$(drive 2)"; t="$(mktemp -d)"
        debugfs -R "dump /stdin $t/stdin" "$io" 2>/dev/null
        debugfs -R "dump /workspace/input.txt $t/input" "$ws" 2>/dev/null
        debugfs -R "dump /command $t/command" "$io" 2>/dev/null
        printf '%s|%s|%s' "$(cat "$t/stdin")" "$(cat "$t/input")" "$(tr '\0' '\n' < "$t/command" | head -1)" > "$t/stdout"
        echo "guest stderr" > "$t/stderr"; echo 7 > "$t/exit"; echo "made in the guest" > "$t/made"
        printf 'write %s stdout\nwrite %s stderr\nwrite %s exit\n' "$t/stdout" "$t/stderr" "$t/exit" | debugfs -w -f - "$io" >/dev/null 2>&1
        printf 'cd /workspace\nwrite %s made.txt\n' "$t/made" | debugfs -w -f - "$ws" >/dev/null 2>&1
        rm -rf "$t"
        """;

    private SandboxSlot NewSlot()
    {
        var dir = Path.Combine(_root, "slot-" + Guid.NewGuid().ToString("N")[..6]);
        var slot = new SandboxSlot("sfc", 612345, "firecracker", "default", dir, new PoolKey("firecracker", "default", null));
        Directory.CreateDirectory(slot.Workspace);
        return slot;
    }
}
