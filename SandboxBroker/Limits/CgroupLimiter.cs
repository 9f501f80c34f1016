using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Native;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Limits;

/// <summary>
/// cgroup v2 limits for whole sandboxes, where the host lets the broker write them (else it does nothing and rlimits
/// alone apply). A sandbox gets <c>&lt;root&gt;/&lt;sandbox id&gt;</c> with memory.max, pids.max and cpu.max; each exec a
/// leaf <c>exec-…</c> below it (so a timeout kills that exec's processes only, daemons included). Limits of the sandbox's
/// group bind all its execs together.
/// </summary>
public partial class CgroupLimiter : IDisposable
{
    public const int CpuPeriodMicros = 100_000;
    private readonly SandboxLimits _limits;
    private readonly ILogger _logger;

    public CgroupLimiter(IOptions<SandboxBrokerOptions> options, ILogger<CgroupLimiter> logger)
        : this(CgroupProbe.Probe(options.Value.CgroupParent, CgroupProbe.GroupNameFor(options.Value.Root)), options.Value.Limits, logger)
    {
    }

    public CgroupLimiter(CgroupSupport support, SandboxLimits limits, ILogger logger)
    {
        Support = support;
        _limits = limits;
        _logger = logger;
        if (!support.Available)
        {
            logger.LogWarning("cgroup limits unavailable, rlimits only: {Reason}", support.Reason);
        }
    }

    public CgroupSupport Support { get; }

    public bool Enabled => Support.Available;

    /// <summary>What bounds a sandbox here, for health details and the capabilities answer.</summary>
    public string Describe() => Enabled
        ? $"cgroup v{Support.Version} per sandbox and per exec ({Support.Reason}) and rlimits per process"
        : $"rlimits per process (cpu, address space, processes, file size, open files); cgroups unavailable: {Support.Reason}";

    /// <summary>
    /// The group's folder in every hierarchy: one under cgroup v2; under v1 the same relative path in the memory
    /// hierarchy (the group's name) and in the pids, cpu and freezer ones.
    /// </summary>
    public IReadOnlyList<string> Dirs(string group) =>
        [group, .. Support.MirrorRoots.Select(root => root + group[Support.Root!.Length..])];

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex GroupNamePattern();

    /// <summary>
    /// The limit files a sandbox's group gets, from the broker's limits (or its template's), in the order they must be written; pids.max is
    /// <paramref name="hostTasks"/> where a level's host tasks are not its tenant processes (gVisor's stubs and threads).
    /// </summary>
    public IReadOnlyDictionary<string, string> LimitFiles(long? hostTasks = null, SandboxLimits? limits = null)
    {
        var effective = limits ?? _limits; // a template's own limits, else the broker's
        var memory = effective.MemoryBytes.ToString(CultureInfo.InvariantCulture);
        var pids = (hostTasks ?? effective.MaxProcesses).ToString(CultureInfo.InvariantCulture);
        var quota = Math.Max(1000, (long)(effective.CpuCores * CpuPeriodMicros)).ToString(CultureInfo.InvariantCulture);
        return Support.Version == 1
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["memory.limit_in_bytes"] = memory,
                // memory+swap at the same value: no swap beyond the limit (absent where swap accounting is off).
                ["memory.memsw.limit_in_bytes"] = memory,
                ["pids.max"] = pids,
                ["cpu.cfs_period_us"] = CpuPeriodMicros.ToString(CultureInfo.InvariantCulture),
                ["cpu.cfs_quota_us"] = quota,
            }
            : new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["memory.max"] = memory,
                // Swap would let a sandbox past memory.max; where swap accounting is off the file does not exist and is skipped.
                ["memory.swap.max"] = "0",
                ["pids.max"] = pids,
                ["cpu.max"] = $"{quota} {CpuPeriodMicros}",
            };
    }

    private static readonly HashSet<string> OptionalFiles = ["memory.swap.max", "memory.memsw.limit_in_bytes"];

    /// <summary>Makes the sandbox's group with its limits; null when cgroups are unavailable. Refuses (busy) when the host says no.</summary>
    public string? CreateSandboxGroup(string sandboxId, long? hostTasks = null, SandboxLimits? limits = null)
    {
        if (!Enabled)
        {
            return null;
        }
        if (!GroupNamePattern().IsMatch(sandboxId))
        {
            throw new ArgumentException($"'{sandboxId}' is not a valid group name", nameof(sandboxId));
        }
        var group = Path.Combine(Support.Root!, sandboxId);
        try
        {
            var dirs = Dirs(group);
            foreach (var dir in dirs)
            {
                Directory.CreateDirectory(dir);
            }
            foreach (var (file, value) in LimitFiles(hostTasks, limits))
            {
                // cgroupfs makes a controller's files in its own hierarchy; a v2 group (or a fake one) has one folder.
                var path = dirs.Select(d => Path.Combine(d, file)).FirstOrDefault(File.Exists)
                    ?? (OptionalFiles.Contains(file) ? null : Path.Combine(dirs.Count == 1 ? group : throw new IOException($"no {file} in the groups of {sandboxId}"), file));
                if (path is not null)
                {
                    File.WriteAllText(path, value);
                }
            }
            return group;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(e, "Could not set up cgroup {Group}", group);
            TryRemove(group);
            throw new SandboxRefusal(RefusalKind.Busy, "The broker could not set up the sandbox's resource limits; try again shortly.");
        }
    }

    /// <summary>
    /// Wraps a launch so that it enters a new leaf group of the sandbox before anything runs: the first process writes
    /// its own pid to <c>cgroup.procs</c> and only then execs the launch, so every descendant is born inside (no window
    /// in which a child could fork outside, as moving a pid after spawn would leave). If the write fails, nothing runs.
    /// </summary>
    public ProcessLaunch Confine(ProcessLaunch launch, string? sandboxGroup)
    {
        if (sandboxGroup is null)
        {
            return launch;
        }
        var exec = Path.Combine(sandboxGroup, "exec-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        var procs = Dirs(exec).Select(dir =>
        {
            Directory.CreateDirectory(dir);
            return Path.Combine(dir, "cgroup.procs");
        }).ToList();
        // Everything else of the launch (files, environment, its backend's end and signal delivery) carries over.
        return launch with
        {
            FileName = "/bin/sh",
            Arguments = ["-c", JoinScript, "agentcloud-cgroup", procs.Count.ToString(CultureInfo.InvariantCulture), .. procs, launch.FileName, .. launch.Arguments],
            Cgroup = exec,
        };
    }

    /// <summary>
    /// Moves processes that already run (a per-slot sandbox booted before its lease) into the group in every hierarchy,
    /// threads and all (cgroup.procs takes whole thread groups). Lists again after each round, so a child forked during
    /// the move goes in too; false when a round still finds one outside. Memory they charged before stays where it was
    /// (the kernel no longer moves charges); what they allocate from now on is the group's.
    /// </summary>
    public bool Adopt(string group, Func<IReadOnlyList<int>> processes)
    {
        var moved = new HashSet<int>();
        var procs = Dirs(group).Select(dir => Path.Combine(dir, "cgroup.procs")).ToList();
        for (var round = 0; round < 10; round++)
        {
            var outside = processes().Where(pid => !moved.Contains(pid)).ToList();
            if (outside.Count == 0)
            {
                return true;
            }
            foreach (var pid in outside)
            {
                try
                {
                    foreach (var file in procs)
                    {
                        File.WriteAllText(file, pid.ToString(CultureInfo.InvariantCulture));
                    }
                }
                catch (IOException) when (!Directory.Exists($"/proc/{pid}"))
                {
                    // It exited between the listing and the move.
                }
                moved.Add(pid);
            }
        }
        return false;
    }

    /// <summary>Writes its own pid to each of the first $1 files (one per hierarchy), then execs the rest; stops at the first refusal.</summary>
    private const string JoinScript =
        "n=$1; shift; while [ \"$n\" -gt 0 ]; do echo \"$$\" > \"$1\" || exit 125; shift; n=$((n-1)); done; exec \"$@\"";

    /// <summary>Kills every process in the group and below: <c>cgroup.kill</c> where the kernel has it, else SIGKILL by pid until none is left.</summary>
    public void Kill(string group)
    {
        if (!Directory.Exists(group))
        {
            return;
        }
        var kill = Path.Combine(group, "cgroup.kill");
        if (Support.CanKill && File.Exists(kill))
        {
            File.WriteAllText(kill, "1");
            return;
        }
        // cgroup v1 has no cgroup.kill: freeze the group (no fork can outrun the kills), SIGKILL every pid, thaw so they die.
        var freezer = Support.FreezerRoot is { } f ? f + group[Support.Root!.Length..] : null;
        var frozen = freezer is not null && TryWrite(Path.Combine(freezer, "freezer.state"), "FROZEN");
        try
        {
            for (var round = 0; round < 20; round++)
            {
                var pids = Pids(group);
                if (pids.Count == 0)
                {
                    return;
                }
                foreach (var pid in pids)
                {
                    Libc.Kill(pid, Libc.SIGKILL);
                }
                if (frozen)
                {
                    TryWrite(Path.Combine(freezer!, "freezer.state"), "THAWED");
                    frozen = false;
                }
                Thread.Sleep(round < 5 ? 2 : 20);
            }
        }
        finally
        {
            if (frozen)
            {
                TryWrite(Path.Combine(freezer!, "freezer.state"), "THAWED");
            }
        }
    }

    private static bool TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Every pid in the group and its descendants.</summary>
    public IReadOnlyList<int> Pids(string group)
    {
        var pids = new List<int>();
        foreach (var dir in Dirs(group))
        {
            CollectPids(dir, pids);
        }
        return pids;
    }

    /// <summary>
    /// The pids of a group and of its children. An exec's leaf group is removed when the exec ends, which may happen
    /// while it is being read (a pause or delete kills a sandbox whose execs are ending): a group gone meanwhile has no
    /// pids left, and is not an error.
    /// </summary>
    private static void CollectPids(string dir, List<int> pids)
    {
        string[] lines, children;
        try
        {
            var procs = Path.Combine(dir, "cgroup.procs");
            lines = File.Exists(procs) ? File.ReadAllLines(procs) : [];
            children = Directory.GetDirectories(dir);
        }
        catch (IOException) when (!Directory.Exists(dir))
        {
            return;
        }
        foreach (var line in lines)
        {
            if (int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0)
            {
                pids.Add(pid);
            }
        }
        foreach (var child in children)
        {
            CollectPids(child, pids);
        }
    }

    /// <summary>An exec ended: remove its leaf group unless something it started still runs there (then the sandbox's removal takes it).</summary>
    public void EndExec(string execGroup, bool kill)
    {
        try
        {
            if (kill)
            {
                Kill(execGroup);
            }
            RemoveTree(execGroup, attempts: kill ? 50 : 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug(e, "Exec group {Group} left for the sandbox's removal", execGroup);
        }
    }

    /// <summary>Kills everything in the sandbox's group and removes it (children first).</summary>
    public void RemoveSandboxGroup(string? group)
    {
        if (group is null)
        {
            return;
        }
        TryRemove(group);
    }

    /// <summary>At start: groups left by a previous run of the broker are killed and removed.</summary>
    public int ReclaimOrphans()
    {
        if (!Enabled || !Directory.Exists(Support.Root))
        {
            return 0;
        }
        var groups = Support.MirrorRoots.Where(Directory.Exists).SelectMany(r => Directory.EnumerateDirectories(r))
            .Select(d => Support.Root + d[Path.GetDirectoryName(d)!.Length..])
            .Concat(Directory.EnumerateDirectories(Support.Root!)).Distinct(StringComparer.Ordinal).ToList();
        groups.ForEach(TryRemove);
        return groups.Count;
    }

    /// <summary>At shutdown (every lease has ended): what is left is killed and removed, then the broker's own groups (so their parent can go).</summary>
    public void Dispose()
    {
        if (!Enabled)
        {
            return;
        }
        ReclaimOrphans();
        foreach (var root in Dirs(Support.Root!))
        {
            try
            {
                if (Directory.Exists(root) && !Directory.EnumerateDirectories(root).Any())
                {
                    RemoveGroupDirectory(root);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug(e, "cgroup {Group} left in place", root);
            }
        }
        GC.SuppressFinalize(this);
    }

    private void TryRemove(string group)
    {
        try
        {
            Kill(group);
            RemoveTree(group, attempts: 50);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(e, "cgroup {Group} could not be removed; the next start retries", group);
        }
    }

    /// <summary>Removes child groups depth first, then the group; a group whose killed processes are still exiting is busy for a moment.</summary>
    private void RemoveTree(string group, int attempts)
    {
        foreach (var dir in Dirs(group))
        {
            RemoveDirTree(dir, attempts);
        }
    }

    private void RemoveDirTree(string group, int attempts)
    {
        if (!Directory.Exists(group))
        {
            return;
        }
        foreach (var child in Directory.EnumerateDirectories(group).ToList())
        {
            RemoveDirTree(child, attempts);
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                RemoveGroupDirectory(group);
                return;
            }
            catch (IOException) when (attempt < attempts)
            {
                Thread.Sleep(10);
            }
        }
    }

    /// <summary>rmdir: on cgroupfs a group goes with its interface files as long as it has no processes and no children.</summary>
    protected virtual void RemoveGroupDirectory(string group) => Directory.Delete(group, recursive: false);
}
