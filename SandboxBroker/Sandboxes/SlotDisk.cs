using System.Globalization;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Native;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Gives a slot's workspace and /tmp a filesystem each with a size limit (tmpfs with <c>size=</c>, mounted by the broker
/// as root), so a sandbox that fills its disk gets ENOSPC instead of filling the host's (where Postgres and Redis live).
/// A broker that is not root hands out no sandboxes at all (<see cref="SandboxUids"/>), so plain folders remain only there.
/// </summary>
public static class SlotDisk
{
    public static bool Mounts => LaunchPrefix.BrokerIsRoot;

    /// <summary>Mounts a fresh, empty tmpfs of that size on the folder, owned by the uid (the slot's), 0700 unless told, no setuid, no devices.</summary>
    public static void Mount(string dir, long bytes, int uid, string mode = "0700")
    {
        if (!Mounts)
        {
            return;
        }
        var data = string.Create(CultureInfo.InvariantCulture, $"size={bytes},mode={mode},uid={uid},gid={uid}");
        if (Libc.Mount("agentcloud-slot", dir, "tmpfs", Libc.MS_NOSUID | Libc.MS_NODEV, data) != 0)
        {
            throw new IOException($"mounting a {bytes}-byte tmpfs on {dir} failed with errno {Libc.LastError}");
        }
    }

    /// <summary>Unmounts every mount at or beneath the folder, deepest first (detached, so a straggler cannot hold it).</summary>
    public static void UnmountBeneath(string dir)
    {
        if (!Mounts)
        {
            return;
        }
        var prefix = dir.TrimEnd('/');
        foreach (var point in MountPoints().Where(p => p == prefix || p.StartsWith(prefix + "/", StringComparison.Ordinal)).OrderByDescending(p => p.Length))
        {
            Libc.Umount2(point, Libc.MNT_DETACH);
        }
    }

    public static bool IsMountPoint(string dir) => MountPoints().Contains(dir.TrimEnd('/'));

    private static List<string> MountPoints()
    {
        var points = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4)
            {
                points.Add(fields[4].Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\"));
            }
        }
        return points;
    }
}
