namespace AgentCloud.SandboxBroker.Limits;

/// <summary>
/// Whether sandboxes get cgroup limits here and why not: where their groups go (<c>Root</c>: the v2 group, or the v1
/// memory hierarchy's; <c>Mirrors</c>: the same groups in the other v1 hierarchies), whether <c>cgroup.kill</c> exists,
/// and the v1 freezer used to kill a group whole.
/// </summary>
public sealed record CgroupSupport(bool Available, string Reason, string? Root, bool CanKill, int Version = 2, IReadOnlyList<string>? Mirrors = null, string? FreezerRoot = null)
{
    public IReadOnlyList<string> MirrorRoots => Mirrors ?? [];

    public static CgroupSupport Unavailable(string reason) => new(false, reason, null, false);
}

/// <summary>
/// Looks for a cgroup v2 hierarchy the broker may write: the cgroup2 mount (from mountinfo), the parent group (configured,
/// else the broker's own), the memory, pids and cpu controllers offered to it and enabled for its children, and a trial
/// group that gets their limit files. On a cgroup v1 or hybrid host the controllers are bound to v1, and the answer is no.
/// </summary>
public static class CgroupProbe
{
    public static readonly IReadOnlyList<string> Controllers = ["memory", "pids", "cpu"];

    public const string GroupName = "agentcloud";

    /// <summary>
    /// The broker's own group name: one per sandbox root, so a broker reclaims only its own orphans at start, never the live
    /// groups of another broker on the same host (or in the same test process).
    /// </summary>
    public static string GroupNameFor(string sandboxRoot) =>
        $"{GroupName}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(sandboxRoot))))[..12]}";

    public static CgroupSupport Probe(string? configuredParent, string groupName = GroupName)
    {
        string mountinfo, own;
        try
        {
            mountinfo = File.ReadAllText("/proc/self/mountinfo");
            own = File.ReadAllText("/proc/self/cgroup");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CgroupSupport.Unavailable($"cannot read /proc/self: {e.Message}");
        }
        var v2 = Probe(mountinfo, own, configuredParent, groupName);
        if (v2.Available)
        {
            return v2;
        }
        var v1 = CgroupV1Probe.Probe(mountinfo, own, groupName);
        return v1.Available ? v1 : CgroupSupport.Unavailable($"cgroup v2: {v2.Reason}; cgroup v1: {v1.Reason}");
    }

    public static CgroupSupport Probe(string mountinfo, string selfCgroup, string? configuredParent, string groupName = GroupName)
    {
        if (FindMount(mountinfo) is not { } mount)
        {
            return CgroupSupport.Unavailable("no cgroup2 filesystem is mounted (cgroup v1 only)");
        }
        string parent;
        if (!string.IsNullOrEmpty(configuredParent))
        {
            parent = Path.GetFullPath(configuredParent);
            if (!parent.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal) && parent != mount)
            {
                return CgroupSupport.Unavailable($"SandboxBroker:CgroupParent {parent} is not inside the cgroup2 mount {mount}");
            }
        }
        else if (OwnGroup(selfCgroup) is { } path)
        {
            parent = Path.Join(mount, path).TrimEnd('/');
        }
        else
        {
            return CgroupSupport.Unavailable("the broker's own cgroup v2 group is not in /proc/self/cgroup");
        }
        try
        {
            var offered = Words(Path.Combine(parent, "cgroup.controllers"));
            var missing = Controllers.Where(c => !offered.Contains(c)).ToList();
            if (missing.Count > 0)
            {
                return CgroupSupport.Unavailable(
                    $"the cgroup2 hierarchy at {mount} offers [{string.Join(' ', offered)}] to {parent}, without {string.Join(", ", missing)} " +
                    "(bound to cgroup v1 hierarchies on a hybrid host, or not delegated to the broker)");
            }
            if (Enable(parent) is { } refusal)
            {
                return CgroupSupport.Unavailable($"cannot enable {string.Join(", ", Controllers)} for children of {parent}: {refusal} " +
                    "(a group holding processes cannot; set SandboxBroker:CgroupParent to a delegated, empty group)");
            }
            var root = Path.Combine(parent, groupName);
            Directory.CreateDirectory(root);
            if (Enable(root) is { } rootRefusal)
            {
                return CgroupSupport.Unavailable($"cannot enable {string.Join(", ", Controllers)} in {root}: {rootRefusal}");
            }
            var trial = Path.Combine(root, $"probe-{Environment.ProcessId}");
            Directory.CreateDirectory(trial);
            try
            {
                var files = new[] { "memory.max", "pids.max", "cpu.max", "cgroup.procs" };
                if (files.FirstOrDefault(f => !File.Exists(Path.Combine(trial, f))) is { } absent)
                {
                    return CgroupSupport.Unavailable($"a trial group in {root} has no {absent}");
                }
                File.WriteAllText(Path.Combine(trial, "pids.max"), "max");
                var canKill = File.Exists(Path.Combine(trial, "cgroup.kill"));
                return new CgroupSupport(true, $"cgroup v2 groups under {root} with memory.max, pids.max, cpu.max{(canKill ? " and cgroup.kill" : "")}", root, canKill);
            }
            finally
            {
                Directory.Delete(trial);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CgroupSupport.Unavailable($"cgroup v2 at {parent} is not writable: {e.Message}");
        }
    }

    /// <summary>The mount point of the first cgroup2 filesystem in a /proc/self/mountinfo text.</summary>
    public static string? FindMount(string mountinfo)
    {
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "id parent major:minor root mountpoint options [optional fields] - fstype source superoptions"
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0)
            {
                continue;
            }
            var before = line[..separator].Split(' ');
            var after = line[(separator + 3)..].Split(' ');
            if (after.Length > 0 && after[0] == "cgroup2" && before.Length > 4)
            {
                return Unescape(before[4]);
            }
        }
        return null;
    }

    /// <summary>The broker's own group in the unified hierarchy: the "0::/path" line of /proc/self/cgroup.</summary>
    public static string? OwnGroup(string selfCgroup) =>
        selfCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..].Trim();

    internal static HashSet<string> Words(string file) =>
        File.Exists(file) ? File.ReadAllText(file).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal) : [];

    /// <summary>Turns the controllers on for the group's children; null when they are on, else what went wrong.</summary>
    private static string? Enable(string group)
    {
        var control = Path.Combine(group, "cgroup.subtree_control");
        if (Controllers.All(Words(control).Contains))
        {
            return null;
        }
        try
        {
            File.WriteAllText(control, string.Join(' ', Controllers.Select(c => "+" + c)));
            return Controllers.All(Words(control).Contains) ? null : $"{control} still lacks some of them";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal.</summary>
    internal static string Unescape(string path) =>
        path.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");
}
