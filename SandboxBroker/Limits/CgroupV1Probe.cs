namespace AgentCloud.SandboxBroker.Limits;

/// <summary>
/// Looks for cgroup v1 hierarchies the broker may write (hybrid hosts bind memory, pids and cpu there): each controller's
/// mount (from mountinfo), the broker's own group in it (from /proc/self/cgroup), and a trial group with the limit files.
/// Sandbox groups go under <c>&lt;own group&gt;/agentcloud-&lt;broker&gt;</c> in each, so they stay inside whatever bounds the broker itself.
/// The freezer hierarchy, where present, lets a kill stop a whole group first.
/// </summary>
public static class CgroupV1Probe
{
    private static readonly IReadOnlyDictionary<string, string> TrialFiles = new Dictionary<string, string>
    {
        ["memory"] = "memory.limit_in_bytes", ["pids"] = "pids.max", ["cpu"] = "cpu.cfs_quota_us", ["freezer"] = "freezer.state",
    };

    public static CgroupSupport Probe(string mountinfo, string selfCgroup, string groupName = CgroupProbe.GroupName)
    {
        var roots = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var controller in CgroupProbe.Controllers.Append("freezer"))
        {
            var mount = FindMount(mountinfo, controller);
            var own = OwnGroup(selfCgroup, controller);
            if (mount is null || own is null)
            {
                if (controller == "freezer")
                {
                    continue;
                }
                return CgroupSupport.Unavailable($"no cgroup v1 hierarchy with the {controller} controller is mounted");
            }
            roots[controller] = Path.Join(mount, own, groupName).TrimEnd('/');
        }
        foreach (var (controller, root) in roots)
        {
            var trial = Path.Combine(root, $"probe-{Environment.ProcessId}");
            try
            {
                Directory.CreateDirectory(trial);
                if (!File.Exists(Path.Combine(trial, TrialFiles[controller])))
                {
                    return CgroupSupport.Unavailable($"a trial group in {root} has no {TrialFiles[controller]}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (controller == "freezer")
                {
                    roots.Remove(controller);
                    break;
                }
                return CgroupSupport.Unavailable($"cgroup v1 {controller} at {root} is not writable: {e.Message}");
            }
            finally
            {
                try
                {
                    if (Directory.Exists(trial))
                    {
                        Directory.Delete(trial);
                    }
                    // The root comes back with the first sandbox group; an empty one would only keep its parent from going.
                    if (Directory.Exists(root) && !Directory.EnumerateDirectories(root).Any())
                    {
                        Directory.Delete(root);
                    }
                }
                catch (IOException)
                {
                }
            }
        }
        var freezer = roots.GetValueOrDefault("freezer");
        return new CgroupSupport(true,
            $"cgroup v1 groups under {roots["memory"]}, {roots["pids"]} and {roots["cpu"]} with memory.limit_in_bytes, pids.max, cpu.cfs_quota_us" +
            (freezer is null ? "; kills by pid" : $"; kills through the freezer at {freezer}"),
            roots["memory"], CanKill: false, Version: 1,
            Mirrors: roots.Where(r => r.Key != "memory").Select(r => r.Value).ToList(), FreezerRoot: freezer);
    }

    /// <summary>The mount point of the v1 hierarchy whose super options name the controller.</summary>
    public static string? FindMount(string mountinfo, string controller)
    {
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0)
            {
                continue;
            }
            var before = line[..separator].Split(' ');
            var after = line[(separator + 3)..].Split(' ');
            if (after.Length > 2 && after[0] == "cgroup" && before.Length > 4 && after[2].Split(',').Contains(controller))
            {
                return CgroupProbe.Unescape(before[4]);
            }
        }
        return null;
    }

    /// <summary>The broker's own group in the controller's hierarchy: the "N:controller,…:/path" line of /proc/self/cgroup.</summary>
    public static string? OwnGroup(string selfCgroup, string controller) =>
        selfCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 3))
            .FirstOrDefault(p => p.Length == 3 && p[1].Split(',').Contains(controller))?[2].Trim();
}
