using System.Globalization;
namespace AgentCloud.Tests.Shared;

/// <summary>
/// Freezes a server and its child processes with SIGSTOP (as a stalled host or a long GC pause would look to its
/// clients: connections open, nothing answered) and thaws them with SIGCONT. Only the fixture's own process tree.
/// </summary>
public static class ProcessPause
{
    /// <summary>Stops the process and its children (a postmaster's backends too); returns them for <see cref="ResumeAsync"/>.</summary>
    public static async Task<IReadOnlyList<int>> PauseAsync(int pid)
    {
        var tree = new List<int> { pid };
        tree.AddRange(ChildrenOf(pid));
        await LocalProcess.RunAsync("kill", ["-STOP", .. tree.Select(p => p.ToString(CultureInfo.InvariantCulture))]);
        return tree;
    }

    public static async Task ResumeAsync(IReadOnlyList<int> pids)
    {
        if (pids.Count > 0)
        {
            await LocalProcess.RunAsync("kill", ["-CONT", .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))]);
        }
    }

    private static IEnumerable<int> ChildrenOf(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // exited meanwhile
            }
            // Fields after the parenthesised name: state, ppid, ...
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.TryParse(fields[1], out var ppid) && ppid == parent)
            {
                yield return pid;
            }
        }
    }
}
