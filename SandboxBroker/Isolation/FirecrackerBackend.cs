using System.Text;
using AgentCloud.SandboxBroker.Isolation.Firecracker;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// Firecracker: a microVM per exec, booted from a configured guest kernel and read-only root image (both built by
/// eng/firecracker-images.sh), with the workspace as an ext4 drive and no network interface. Needs the binary, a
/// usable /dev/kvm, the two images and e2fsprogs (mkfs.ext4, debugfs) on the host.
/// </summary>
public sealed class FirecrackerBackend(IOptions<SandboxBrokerOptions> options, HostProbe probe) : ISandboxBackend
{
    /// <summary>What building a workspace image takes on the host.</summary>
    private static readonly string[] ImageTools = ["mkfs.ext4", "debugfs"];

    public const int MemoryMiB = FirecrackerExec.MemoryMiB;

    public string Level => IsolationLevels.Firecracker;

    public BackendAvailability Probe()
    {
        if (!probe.OnPath("firecracker", out _))
        {
            return new(Level, false, "firecracker not found on PATH (eng/firecracker-images.sh installs it)");
        }
        if (!probe.DeviceUsable("/dev/kvm"))
        {
            return new(Level, false, "/dev/kvm is missing or not usable (no hardware virtualisation)");
        }
        var kernel = options.Value.FirecrackerKernelImage;
        var rootfs = options.Value.FirecrackerRootfsImage;
        if (string.IsNullOrEmpty(kernel) || string.IsNullOrEmpty(rootfs))
        {
            return new(Level, false, "SandboxBroker:FirecrackerKernelImage and FirecrackerRootfsImage are not configured (eng/firecracker-images.sh builds both)");
        }
        foreach (var image in new[] { kernel, rootfs }.Where(i => !probe.FileExists(i)))
        {
            return new(Level, false, $"{image} does not exist (eng/firecracker-images.sh builds it)");
        }
        foreach (var tool in ImageTools.Where(t => !probe.OnPath(t, out _)))
        {
            return new(Level, false, $"{tool} not found on PATH (apt package e2fsprogs)");
        }
        return new(Level, true, "firecracker with KVM, a microVM per exec");
    }

    /// <summary>
    /// Writes the exec's private folder (the VM config, the request with the environment, 0600 in a 0700 folder, never
    /// on a command line) and starts the host wrapper; the folder is removed once the exec is over, killed or not.
    /// </summary>
    public ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec)
    {
        var execDir = Path.Combine(slot.Directory, "firecracker", Guid.NewGuid().ToString("N")[..12]);
        var limits = options.Value;
        Directory.CreateDirectory(Path.Combine(execDir, "io"));
        File.SetUnixFileMode(Path.GetDirectoryName(execDir)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(execDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        WritePrivate(Path.Combine(execDir, "config.json"), Encoding.UTF8.GetBytes(
            FirecrackerExec.Config(limits.FirecrackerKernelImage ?? "", limits.FirecrackerRootfsImage ?? "", execDir).ToJsonString()));
        foreach (var (name, content) in FirecrackerExec.Request(spec, slot.Uid))
        {
            WritePrivate(Path.Combine(execDir, "io", name), content);
        }
        var ioMiB = Math.Max(64, 2 * limits.MaxOutputBytes / (1024 * 1024) + limits.MaxStdinBytes / (1024 * 1024) + 32);
        var workspaceMiB = Math.Max(256, limits.LimitsOf(slot.Template).MaxFileBytes / (1024 * 1024) + 64);
        // No rlimit prefix: the host side writes drive images larger than a tenant's file limit; the VM itself is the limit.
        List<string> args = ["/usr/bin/sh", "-c", FirecrackerExec.HostScript, "agentcloud-firecracker", execDir, slot.Workspace, slot.SlotId,
            ioMiB.ToString(System.Globalization.CultureInfo.InvariantCulture), workspaceMiB.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        return new ProcessLaunch("setsid", args)
        {
            Completed = _ =>
            {
                if (Directory.Exists(execDir))
                {
                    Directory.Delete(execDir, recursive: true);
                }
            },
        };
    }

    private static void WritePrivate(string path, byte[] content)
    {
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(content);
    }
}
