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
public partial class CgroupLimiter
{
    public const int CpuPeriodMicros = 100_000;
    private readonly SandboxLimits _limits;
    private readonly ILogger _logger;

    public CgroupLimiter(IOptions<SandboxBrokerOptions> options, ILogger<CgroupLimiter> logger)
        : this(CgroupProbe.Probe(options.Value.CgroupParent), options.Value.Limits, logger)
    {
    }

    public CgroupLimiter(CgroupSupport support, SandboxLimits limits, ILogger logger)
    {
        Support = support;
        _limits = limits;
        _logger = logger;
        if (!support.Available)
        {
            logger.LogWarning("cgroup v2 limits unavailable, rlimits only: {Reason}", support.Reason);
        }
    }

    public CgroupSupport Support { get; }

    public bool Enabled => Support.Available;

    /// <summary>What bounds a sandbox here, for health details and the capabilities answer.</summary>
    public string Describe() => Enabled
        ? $"cgroup v2 per sandbox ({Support.Reason}) and rlimits per process"
        : $"rlimits per process (cpu, address space, processes, file size, open files); cgroup v2 unavailable: {Support.Reason}";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex GroupNamePattern();

    /// <summary>The limit files a sandbox's group gets, from the broker's limits.</summary>
    public IReadOnlyDictionary<string, string> LimitFiles() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["memory.max"] = _limits.MemoryBytes.ToString(CultureInfo.InvariantCulture),
        // Swap would let a sandbox past memory.max; where swap accounting is off the file does not exist and is skipped.
        ["memory.swap.max"] = "0",
        ["pids.max"] = _limits.MaxProcesses.ToString(CultureInfo.InvariantCulture),
        ["cpu.max"] = $"{Math.Max(1000, (long)(_limits.CpuCores * CpuPeriodMicros)).ToString(CultureInfo.InvariantCulture)} {CpuPeriodMicros}",
    };

    /// <summary>Makes the sandbox's group with its limits; null when cgroups are unavailable. Refuses (busy) when the host says no.</summary>
    public string? CreateSandboxGroup(string sandboxId)
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
            Directory.CreateDirectory(group);
            foreach (var (file, value) in LimitFiles())
            {
                var path = Path.Combine(group, file);
                if (file == "memory.swap.max" && !File.Exists(path))
                {
                    continue;
                }
                File.WriteAllText(path, value);
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
        Directory.CreateDirectory(exec);
        return new ProcessLaunch("/bin/sh", ["-c", "echo $$ > \"$1\" && shift && exec \"$@\"", "agentcloud-cgroup", Path.Combine(exec, "cgroup.procs"),
            launch.FileName, .. launch.Arguments])
        {
            FilesToWrite = launch.FilesToWrite,
            Cgroup = exec,
        };
    }

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
            Thread.Sleep(round < 5 ? 2 : 20);
        }
    }

    /// <summary>Every pid in the group and its descendants.</summary>
    public static IReadOnlyList<int> Pids(string group)
    {
        var pids = new List<int>();
        foreach (var dir in new[] { group }.Concat(Directory.EnumerateDirectories(group, "*", SearchOption.AllDirectories)))
        {
            var procs = Path.Combine(dir, "cgroup.procs");
            if (!File.Exists(procs))
            {
                continue;
            }
            foreach (var line in File.ReadAllLines(procs))
            {
                if (int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0)
                {
                    pids.Add(pid);
                }
            }
        }
        return pids;
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
        var groups = Directory.EnumerateDirectories(Support.Root!).ToList();
        groups.ForEach(TryRemove);
        return groups.Count;
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
        if (!Directory.Exists(group))
        {
            return;
        }
        foreach (var child in Directory.EnumerateDirectories(group).ToList())
        {
            RemoveTree(child, attempts);
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
