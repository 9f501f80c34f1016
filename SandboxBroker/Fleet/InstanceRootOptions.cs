using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// Gives the broker its instance's share of the machine (see <see cref="HostInstance"/>) before anything reads its
/// options: its own root (so slots, journal, paused store, gVisor state, cgroup name and egress sockets are its own)
/// and a disjoint slice of the sandbox uid range (so no two brokers' sandboxes share a uid).
/// </summary>
public sealed class InstanceRootOptions(HostInstance instance) : IPostConfigureOptions<SandboxBrokerOptions>
{
    public void PostConfigure(string? name, SandboxBrokerOptions options)
    {
        var configured = options.Root;
        var number = instance.Claim(configured);
        options.Root = HostInstance.RootOf(configured, number);
        if (options.PausedRoot is { } paused)
        {
            options.PausedRoot = HostInstance.RootOf(paused, number); // its index lives in the process that wrote it
        }
        var share = Math.Max(1, options.UidCount / instance.MaxInstances);
        options.UidBase += number * share;
        options.UidCount = share;
    }
}
