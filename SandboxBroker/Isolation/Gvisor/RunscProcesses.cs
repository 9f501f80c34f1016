using System.Globalization;
using AgentCloud.SandboxBroker.Native;

namespace AgentCloud.SandboxBroker.Isolation.Gvisor;

/// <summary>
/// A gVisor sandbox's host processes (runsc's sandbox and gofer, their ptrace stubs, runsc clients) found by the
/// state folder on their command line and by parentage; its app processes live inside the sandbox, not on the host.
/// Killing them directly takes milliseconds where <c>runsc delete</c> waits over a second.
/// </summary>
public static class RunscProcesses
{
    public static IReadOnlyList<int> Find(string stateRoot)
    {
        var marks = new[] { $"--root={stateRoot}\0", $"--root\0{stateRoot}\0" };
        var parents = new Dictionary<int, int>();
        var found = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z")
                {
                    continue;
                }
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (marks.Any(m => cmdline.Contains(m, StringComparison.Ordinal)))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                continue;
            }
        }
        // Descendants too: the ptrace stubs carry no command line of their own.
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                if (!found.Contains(pid) && found.Contains(parent))
                {
                    grew = found.Add(pid) || grew;
                }
            }
        }
        return found.ToList();
    }

    /// <summary>The sandbox process (the sentry, which holds the tenant code's memory) of that state folder; null when none runs.</summary>
    public static int? SandboxPid(string stateRoot) =>
        Find(stateRoot).Cast<int?>().FirstOrDefault(pid => IsSandbox(pid!.Value, stateRoot));

    private const uint PfExiting = 0x4;

    /// <summary>Whether that pid is still the live sentry of that state folder (not a zombie, not a reused pid).</summary>
    public static bool IsSandbox(int pid, string stateRoot)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Killed (by the memory limit, say) but still freeing its memory: PF_EXITING in its flags.
            var exiting = (uint.Parse(fields[6], CultureInfo.InvariantCulture) & PfExiting) != 0;
            return fields[0] != "Z" && !exiting && cmdline.StartsWith("runsc-sandbox\0", StringComparison.Ordinal) &&
                (cmdline.Contains($"--root={stateRoot}\0", StringComparison.Ordinal) || cmdline.Contains($"--root\0{stateRoot}\0", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or FormatException)
        {
            return false;
        }
    }

    /// <summary>Waits until every thread of that process has exited (zombies hold no socket); false when time ran out.</summary>
    public static bool WaitUntilExited(int pid, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (AnyThreadAlive(pid))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            Thread.Sleep(5);
        }
        return true;
    }

    private static bool AnyThreadAlive(int pid)
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    if (stat[stat.LastIndexOf(')') + 2] is not ('Z' or 'X'))
                    {
                        return true;
                    }
                }
                catch (Exception e) when (e is IOException or IndexOutOfRangeException)
                {
                }
            }
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>SIGKILLs them until none is left; true when none remain.</summary>
    public static bool KillAll(string stateRoot)
    {
        for (var round = 0; round < 50; round++)
        {
            var pids = Find(stateRoot);
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
        return Find(stateRoot).Count == 0;
    }
}
