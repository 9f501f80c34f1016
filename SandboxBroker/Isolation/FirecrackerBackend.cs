using System.Text.Json.Nodes;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// Firecracker: a microVM per exec booted from a configured kernel and read-only root image, no network
/// interface, a vsock for the guest agent. Needs the binary, a usable /dev/kvm and the two images.
/// </summary>
public sealed class FirecrackerBackend(IOptions<SandboxBrokerOptions> options, HostProbe probe) : ISandboxBackend
{
    public const int MemoryMiB = 512;

    public string Level => IsolationLevels.Firecracker;

    public BackendAvailability Probe()
    {
        if (!probe.OnPath("firecracker", out _))
        {
            return new(Level, false, "firecracker not found on PATH");
        }
        if (!probe.DeviceUsable("/dev/kvm"))
        {
            return new(Level, false, "/dev/kvm is missing or not usable (no hardware virtualisation)");
        }
        if (string.IsNullOrEmpty(options.Value.FirecrackerKernelImage) || string.IsNullOrEmpty(options.Value.FirecrackerRootfsImage))
        {
            return new(Level, false, "SandboxBroker:FirecrackerKernelImage and FirecrackerRootfsImage are not configured");
        }
        return new(Level, true, "firecracker with KVM");
    }

    public ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec)
    {
        var configPath = Path.Combine(slot.Directory, "firecracker.json");
        var args = LaunchPrefix.For(slot, options.Value.Limits, switchUser: false);
        args.AddRange(["firecracker", "--no-api", "--id", slot.SlotId, "--config-file", configPath]);
        return new ProcessLaunch("setsid", args) { FilesToWrite = new Dictionary<string, string> { [configPath] = BuildConfig(slot, spec).ToJsonString() } };
    }

    /// <summary>The VM: kernel and read-only root from options, the workspace image read-write, the command on the kernel line for the guest init.</summary>
    public JsonObject BuildConfig(SandboxSlot slot, ExecSpec spec)
    {
        var command = string.Join(' ', spec.Command.Select(c => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(c))));
        return new JsonObject
        {
            ["boot-source"] = new JsonObject
            {
                ["kernel_image_path"] = options.Value.FirecrackerKernelImage,
                ["boot_args"] = $"console=ttyS0 reboot=k panic=1 pci=off ro init=/sbin/agentcloud-init agentcloud.cmd={command}",
            },
            ["drives"] = new JsonArray(
                new JsonObject { ["drive_id"] = "rootfs", ["path_on_host"] = options.Value.FirecrackerRootfsImage, ["is_root_device"] = true, ["is_read_only"] = true },
                new JsonObject { ["drive_id"] = "workspace", ["path_on_host"] = Path.Combine(slot.Directory, "workspace.ext4"), ["is_root_device"] = false, ["is_read_only"] = false }),
            ["machine-config"] = new JsonObject { ["vcpu_count"] = 1, ["mem_size_mib"] = MemoryMiB, ["smt"] = false },
            ["network-interfaces"] = new JsonArray(),
            ["vsock"] = new JsonObject { ["guest_cid"] = 3, ["uds_path"] = Path.Combine(slot.Directory, "vsock.sock") },
        };
    }
}
