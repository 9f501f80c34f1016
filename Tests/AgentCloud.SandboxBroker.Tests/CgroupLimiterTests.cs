using System.Diagnostics;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>The cgroup v2 limiter's file logic, against a fake cgroupfs (plain folders and files in a temp directory).</summary>
public sealed class CgroupLimiterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fake-cgroupfs-" + Guid.NewGuid().ToString("N")[..8], "agentcloud");
    private readonly List<string> _removed = [];

    public CgroupLimiterTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_root)!, recursive: true);

    /// <summary>The kernel removes a group's interface files with it; plain folders need a recursive delete.</summary>
    private sealed class FakeCgroupFs(CgroupSupport support, SandboxLimits limits, List<string> removed) : CgroupLimiter(support, limits, NullLogger.Instance)
    {
        protected override void RemoveGroupDirectory(string group)
        {
            removed.Add(Path.GetFileName(group));
            Directory.Delete(group, recursive: true);
        }
    }

    private FakeCgroupFs Limiter(bool canKill = true, SandboxLimits? limits = null) =>
        new(new CgroupSupport(true, "fake", _root, canKill), limits ?? new SandboxLimits(), _removed);

    private static string Read(string path) => File.ReadAllText(path).Trim();

    [Fact]
    public void Pids_are_read_from_a_group_and_its_exec_groups_and_a_group_removed_meanwhile_has_none()
    {
        var limiter = Limiter();
        var group = limiter.CreateSandboxGroup("sbx_pidsread")!;
        File.WriteAllText(Path.Combine(group, "cgroup.procs"), "101\n");
        var exec = Directory.CreateDirectory(Path.Combine(group, "exec_1")).FullName;
        File.WriteAllText(Path.Combine(exec, "cgroup.procs"), "202\n303\n");

        Assert.Equal([101, 202, 303], limiter.Pids(group).Order());

        // An exec's group ends with its exec, possibly while a pause reads it: nothing to read, and no error.
        Directory.Delete(group, recursive: true);
        Assert.Empty(limiter.Pids(group));
    }

    [Fact]
    public void Sandbox_group_gets_memory_pids_and_cpu_limits_from_the_broker_limits()
    {
        var limiter = Limiter(limits: new SandboxLimits { MemoryBytes = 512L * 1024 * 1024, MaxProcesses = 64, CpuCores = 1.5 });

        var group = limiter.CreateSandboxGroup("sbx_0123abcd");

        Assert.Equal(Path.Combine(_root, "sbx_0123abcd"), group);
        Assert.Equal("536870912", Read(Path.Combine(group!, "memory.max")));
        Assert.Equal("64", Read(Path.Combine(group!, "pids.max")));
        Assert.Equal("150000 100000", Read(Path.Combine(group!, "cpu.max")));
        Assert.False(File.Exists(Path.Combine(group!, "memory.swap.max"))); // absent without swap accounting: not created
    }

    [Fact]
    public void Swap_is_capped_at_zero_where_the_kernel_offers_the_file()
    {
        var limiter = Limiter();
        var group = Path.Combine(_root, "sbx_swap");
        Directory.CreateDirectory(group);
        File.WriteAllText(Path.Combine(group, "memory.swap.max"), "max");

        limiter.CreateSandboxGroup("sbx_swap");

        Assert.Equal("0", Read(Path.Combine(group, "memory.swap.max")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("")]
    public void A_group_name_that_is_not_a_plain_id_is_refused(string id)
    {
        Assert.Throws<ArgumentException>(() => Limiter().CreateSandboxGroup(id));
        Assert.Equal([_root], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(_root)!));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task Confined_launch_enters_its_exec_group_before_the_command_runs()
    {
        var limiter = Limiter();
        var group = limiter.CreateSandboxGroup("sbx_confine")!;
        // The command prints its own pid and what cgroup.procs holds at its start: the same pid, already written.
        var inner = new ProcessLaunch("/bin/sh", ["-c", "echo \"$$\"; cat \"$PROCS\""]);

        var launch = limiter.Confine(inner, group);
        var output = await RunAsync(launch, ("PROCS", Path.Combine(launch.Cgroup!, "cgroup.procs")));

        Assert.Equal(group, Path.GetDirectoryName(launch.Cgroup));
        Assert.StartsWith("exec-", Path.GetFileName(launch.Cgroup));
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(lines[0], lines[1]);
    }

    [Fact]
    public async Task Command_does_not_run_when_its_pid_cannot_be_placed_in_the_group()
    {
        var limiter = Limiter();
        var group = limiter.CreateSandboxGroup("sbx_refused")!;
        var marker = Path.Combine(group, "ran");
        var launch = limiter.Confine(new ProcessLaunch("/bin/sh", ["-c", $"touch {marker}"]), group);
        Directory.CreateDirectory(Path.Combine(launch.Cgroup!, "cgroup.procs")); // the write fails, as EBUSY or EACCES would

        await RunAsync(launch);

        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Without_cgroups_the_launch_is_unchanged_and_no_group_is_made()
    {
        var limiter = new CgroupLimiter(CgroupSupport.Unavailable("no cgroup2 here"), new SandboxLimits(), NullLogger.Instance);
        var launch = new ProcessLaunch("setsid", ["true"]);

        Assert.Null(limiter.CreateSandboxGroup("sbx_none"));
        Assert.Same(launch, limiter.Confine(launch, null));
        Assert.Contains("rlimits", limiter.Describe());
        Assert.Contains("no cgroup2 here", limiter.Describe());
    }

    [Fact]
    public void Kill_writes_cgroup_kill_where_the_kernel_has_it()
    {
        var limiter = Limiter(canKill: true);
        var group = limiter.CreateSandboxGroup("sbx_kill")!;
        File.WriteAllText(Path.Combine(group, "cgroup.kill"), "");

        limiter.Kill(group);

        Assert.Equal("1", Read(Path.Combine(group, "cgroup.kill")));
    }

    [Fact]
    public async Task Without_cgroup_kill_every_pid_in_the_group_and_its_exec_groups_is_killed()
    {
        var limiter = Limiter(canKill: false);
        var group = limiter.CreateSandboxGroup("sbx_pids")!;
        var exec = limiter.Confine(new ProcessLaunch("true", []), group).Cgroup!;
        using var sleeper = Process.Start("sleep", "60");
        File.WriteAllText(Path.Combine(exec, "cgroup.procs"), $"{sleeper.Id}\n");

        limiter.Kill(group);

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await sleeper.WaitForExitAsync(wait.Token);
        Assert.True(sleeper.HasExited);
        Assert.Equal([sleeper.Id], limiter.Pids(group));
    }

    [Fact]
    public void Removing_a_sandbox_group_kills_it_then_removes_its_exec_groups_before_itself()
    {
        var limiter = Limiter(canKill: true);
        var group = limiter.CreateSandboxGroup("sbx_remove")!;
        File.WriteAllText(Path.Combine(group, "cgroup.kill"), "");
        var exec = limiter.Confine(new ProcessLaunch("true", []), group).Cgroup!;

        limiter.RemoveSandboxGroup(group);

        Assert.False(Directory.Exists(group));
        Assert.Equal([Path.GetFileName(exec), "sbx_remove"], _removed);
    }

    [Fact]
    public void Groups_left_by_a_previous_run_are_removed_at_start()
    {
        var limiter = Limiter();
        limiter.CreateSandboxGroup("sbx_orphan1");
        limiter.CreateSandboxGroup("sbx_orphan2");

        var reclaimed = limiter.ReclaimOrphans();

        Assert.Equal(2, reclaimed);
        Assert.Empty(Directory.EnumerateDirectories(_root));
    }

    private static async Task<string> RunAsync(ProcessLaunch launch, params (string Name, string Value)[] env)
    {
        var psi = new ProcessStartInfo(launch.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in launch.Arguments)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (name, value) in env)
        {
            psi.Environment[name] = value;
        }
        using var process = Process.Start(psi)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
