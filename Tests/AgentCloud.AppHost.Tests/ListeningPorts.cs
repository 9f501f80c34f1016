using System.Globalization;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// The TCP ports a process (or a process it started) listens on, read from /proc: how a test reaches one copy of a
/// replicated service directly, behind DCP's proxy, without the copy having to announce its address anywhere.
/// </summary>
public static class ListeningPorts
{
    public static IReadOnlyList<int> Of(int rootPid)
    {
        var inodes = ProcessAndDescendants(rootPid).SelectMany(SocketInodes).ToHashSet(StringComparer.Ordinal);
        return new[] { "/proc/net/tcp", "/proc/net/tcp6" }
            .Where(File.Exists)
            .SelectMany(table => File.ReadLines(table).Skip(1))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 9 && fields[3] == "0A" && inodes.Contains(fields[9])) // 0A: LISTEN
            .Select(fields => int.Parse(fields[1][(fields[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture))
            .Distinct()
            .ToList();
    }

    /// <summary>The process id DCP reports for a resource or one of its copies (snapshot property "executable.pid").</summary>
    public static int ProcessIdOf(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value switch
        {
            int i => i,
            long l => (int)l,
            string s when int.TryParse(s, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => throw new InvalidOperationException($"The resource reports no process id ({snapshot.State?.Text})."),
        };

    private static IEnumerable<string> SocketInodes(int pid)
    {
        string[] links;
        try
        {
            links = Directory.GetFiles($"/proc/{pid}/fd");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // exited meanwhile
        }
        return links.Select(link => new FileInfo(link).LinkTarget)
            .Where(target => target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            .Select(target => target!["socket:[".Length..^1]);
    }

    private static List<int> ProcessAndDescendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) is { } parent)
            {
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
            }
        }
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(children.GetValueOrDefault(tree[i]) ?? []);
        }
        return tree;
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.TryParse(fields[1], CultureInfo.InvariantCulture, out var ppid) ? ppid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
