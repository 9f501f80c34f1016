namespace AgentCloud.Faults.Harness;

/// <summary>A process and all its descendants, read from /proc.</summary>
public static class ProcessTree
{
    public static IReadOnlyList<int> Of(int root)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && ParentOf(pid) is { } parent)
            {
                (parents.TryGetValue(parent, out var children) ? children : parents[parent] = []).Add(pid);
            }
        }
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(parents.GetValueOrDefault(tree[i]) ?? []);
        }
        return tree;
    }

    /// <summary>Alive and not a zombie waiting for its parent.</summary>
    public static bool IsAlive(int pid) => StatFields(pid) is { } fields && fields[0] != "Z";

    private static int? ParentOf(int pid) => StatFields(pid) is { } fields && int.TryParse(fields[1], out var ppid) ? ppid : null;

    // The fields after the parenthesised command name: state, ppid, ...
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // exited meanwhile
        }
    }
}
