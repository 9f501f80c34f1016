using System.Globalization;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Native;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Finds and kills a slot's processes by its host uid: inside a user namespace a process can take other ids
/// only as mapped, and only the slot's uid is mapped, so the uid is a mark it cannot shed.
/// Without root the broker shares its uid with its sandboxes and relies on their PID namespaces instead.
/// </summary>
public static class SlotProcesses
{
    public static bool Tracked => LaunchPrefix.BrokerIsRoot;

    public static IReadOnlyList<int> Find(int uid)
    {
        var found = new List<int>();
        if (!Tracked)
        {
            return found;
        }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    // A zombie has already died; it holds nothing but its pid until its parent reaps it.
                    if (line.StartsWith("State:", StringComparison.Ordinal) && line.Contains('Z'))
                    {
                        break;
                    }
                    if (line.StartsWith("Uid:", StringComparison.Ordinal))
                    {
                        var ids = line[4..].Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries);
                        if (ids.Any(id => id == uid.ToString(CultureInfo.InvariantCulture)))
                        {
                            found.Add(pid);
                        }
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
        }
        return found;
    }

    /// <summary>SIGKILLs every process of the uid until none is left (new ones may fork while we look); true when none remain.</summary>
    public static bool KillAll(int uid)
    {
        for (var round = 0; round < 20; round++)
        {
            var pids = Find(uid);
            if (pids.Count == 0)
            {
                return true;
            }
            foreach (var pid in pids)
            {
                Libc.Kill(pid, Libc.SIGKILL);
            }
            Thread.Sleep(round < 5 ? 2 : 20);
        }
        return Find(uid).Count == 0;
    }
}
