using System.Net;
using System.Net.Http.Json;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using System.Globalization;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// Whole-sandbox limits on real runs: a broker with small memory, disk and exec limits, and a free tenant trying to
/// take the host down with a memory bomb, a disk fill and a fork bomb while the broker keeps answering, at bubblewrap
/// and at gvisor (whose sentry, holding the tenant's memory, runs in the lease's group). A level the host lacks must be refused.
/// </summary>
public sealed class AggregateLimitTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private BrokerFactory _broker = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:Limits:MemoryBytes"] = (192L * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
            ["SandboxBroker:Limits:WorkspaceBytes"] = (32L * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
            ["SandboxBroker:Limits:TmpBytes"] = (16L * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
            ["SandboxBroker:Limits:MaxConcurrentExecs"] = "2",
            ["SandboxBroker:Limits:MaxProcesses"] = "64",
        });
        _ = _broker.Server;
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private async Task<(HttpClient, SandboxDto)> FreeSandboxAsync(string tenant) =>
        (await FreeSandboxAtAsync(tenant, IsolationLevels.Bubblewrap))!.Value;

    /// <summary>A free tenant's sandbox at that level; null (after checking the refusal) where this host does not offer it.</summary>
    private async Task<(HttpClient Client, SandboxDto Sandbox)?> FreeSandboxAtAsync(string tenant, string level)
    {
        _broker.Policies.Set(FakePolicies.Default(tenant) with { Tier = "free", SandboxIsolationLevels = [level] });
        var client = _broker.ClientFor(tenant);
        var offered = _broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == level);
        if (!offered.Available)
        {
            Assert.NotEqual(IsolationLevels.Bubblewrap, level);
            using var refused = await client.PostAsJsonAsync("/v1/sandboxes", new { isolation = level });
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            return null;
        }
        return (client, await client.CreateSandboxAsync(new { isolation = level }));
    }

    /// <summary>The lease's group in one controller's hierarchy (memory is the group itself; pids and cpu mirror it).</summary>
    private string GroupIn(string sandboxId, string tenant, string controller)
    {
        var limiter = _broker.Services.GetRequiredService<CgroupLimiter>();
        var group = _broker.Manager.Find(tenant, sandboxId)!.Cgroup!;
        return limiter.Dirs(group).Single(d => File.Exists(Path.Combine(d, controller switch
        {
            "memory" => "memory.limit_in_bytes",
            "pids" => "pids.max",
            _ => "cpu.cfs_quota_us",
        })));
    }

    [Fact]
    public void Cgroups_are_v2_where_the_host_delegates_them_else_v1_where_its_controllers_are_mounted()
    {
        var support = _broker.Services.GetRequiredService<CgroupLimiter>().Support;
        var v1MemoryMounted = CgroupV1Probe.FindMount(File.ReadAllText("/proc/self/mountinfo"), "memory") is not null;

        if (support.Version == 1)
        {
            Assert.True(support.Available, support.Reason);
            Assert.StartsWith(CgroupV1Probe.FindMount(File.ReadAllText("/proc/self/mountinfo"), "memory")!, support.Root);
        }
        else if (!support.Available)
        {
            Assert.False(v1MemoryMounted && Environment.UserName == "root", $"v1 memory is mounted and we are root, yet: {support.Reason}");
        }
    }

    [Theory]
    [InlineData("bubblewrap")]
    [InlineData("gvisor")]
    public async Task A_memory_bomb_dies_inside_its_sandbox_while_the_broker_keeps_answering(string level)
    {
        var limiter = _broker.Services.GetRequiredService<CgroupLimiter>();
        Assert.True(limiter.Enabled, limiter.Support.Reason);
        if (await FreeSandboxAtAsync($"limits-memory-{level}", level) is not var (client, sandbox))
        {
            return;
        }
        await client.ShAsync(sandbox.Id, "echo kept > /workspace/kept.txt");

        // 1 GiB touched page by page, five times the sandbox's memory.
        var bomb = client.ExecAsync(sandbox.Id, ["perl", "-e", "my $x = 'a' x (1024 * 1024 * 1024); print qq(SURVIVED\\n)"], timeoutSeconds: 60);
        using var health = await _broker.CreateClient().GetAsync("/health");
        var result = await bomb;
        var memory = GroupIn(sandbox.Id, $"limits-memory-{level}", "memory");
        var (peak, limit) = (long.Parse(File.ReadAllText(Path.Combine(memory, "memory.max_usage_in_bytes")), System.Globalization.CultureInfo.InvariantCulture), long.Parse(File.ReadAllText(Path.Combine(memory, "memory.limit_in_bytes")), System.Globalization.CultureInfo.InvariantCulture));

        Assert.NotEqual(HttpStatusCode.InternalServerError, health.StatusCode);
        Assert.DoesNotContain("SURVIVED", result.Stdout);
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(result.TimedOut);
        // The sandbox's own group met its limit: the bomb was stopped there, not by the host running out.
        // The kernel may force a page or two past the limit while it kills.
        Assert.InRange(peak, limit * 9 / 10, limit + 1024 * 1024);
        if (level == IsolationLevels.Gvisor)
        {
            Assert.Contains("met its memory or process limit", result.Stderr);
        }
        // At gvisor the kernel ends the whole sandbox; the next exec gets a fresh one around the same files.
        Assert.Equal("ok\nkept\n", (await client.ShAsync(sandbox.Id, "echo ok; cat /workspace/kept.txt")).Stdout);
    }

    [Fact]
    public async Task A_gvisor_sandbox_runs_wholly_inside_its_lease_group()
    {
        if (await FreeSandboxAtAsync("limits-gvisor-group", IsolationLevels.Gvisor) is not var (client, sandbox))
        {
            return;
        }
        await client.ShAsync(sandbox.Id, "sleep 1 & sleep 1 & wait");
        var slot = _broker.SlotOf("limits-gvisor-group", sandbox.Id);
        var hostProcesses = SandboxProcesses.OnHost(_broker, slot);

        Assert.NotEmpty(hostProcesses);
        foreach (var controller in new[] { "memory", "pids", "cpu" })
        {
            var members = File.ReadAllLines(Path.Combine(GroupIn(sandbox.Id, "limits-gvisor-group", controller), "cgroup.procs")).Select(int.Parse).ToHashSet();
            Assert.All(hostProcesses, pid => Assert.True(members.Contains(pid) || !Directory.Exists($"/proc/{pid}"), $"pid {pid} is outside the {controller} group"));
        }
        var pidsMax = long.Parse(File.ReadAllText(Path.Combine(GroupIn(sandbox.Id, "limits-gvisor-group", "pids"), "pids.max")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(_broker.Gvisor().HostTaskBudget(new SandboxLimits { MaxProcesses = 64 }), pidsMax);
    }

    [Theory]
    [InlineData("bubblewrap", "/workspace/fill", 32)]
    [InlineData("bubblewrap", "/tmp/fill", 16)]
    [InlineData("gvisor", "/workspace/fill", 32)]
    [InlineData("gvisor", "/tmp/fill", 16)]
    public async Task A_disk_fill_stops_at_the_quota_with_enospc(string level, string path, int megabytes)
    {
        if (await FreeSandboxAtAsync($"limits-disk-{level}", level) is not var (client, sandbox))
        {
            return;
        }

        var result = await client.ShAsync(sandbox.Id, $"dd if=/dev/zero of={path} bs=1M count={megabytes * 4} 2>&1; df -m {Path.GetDirectoryName(path)} | tail -1");

        Assert.Contains("No space left on device", result.Stdout);
        var size = long.Parse(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        Assert.InRange(size, megabytes - 1, megabytes + 1);
    }

    [Fact]
    public async Task An_upload_past_the_workspace_quota_is_507_problem_json_and_leaves_an_empty_file()
    {
        var (client, sandbox) = await FreeSandboxAsync("limits-upload");
        using var first = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/a.bin", new ByteArrayContent(new byte[20 * 1024 * 1024]));

        using var second = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/b.bin", new ByteArrayContent(new byte[20 * 1024 * 1024]));

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        await BrokerCalls.AssertProblemAsync(second, 507);
        Assert.Equal("0\n", (await client.ShAsync(sandbox.Id, "stat -c %s b.bin")).Stdout);
    }

    [Fact]
    public async Task A_fork_bomb_is_contained_and_leaves_nothing_behind()
    {
        var (client, sandbox) = await FreeSandboxAsync("limits-fork");
        var uid = _broker.SlotOf("limits-fork", sandbox.Id).Uid;

        var bomb = await client.ExecAsync(sandbox.Id, ["/bin/sh", "-c", "b() { b | b & }; b; sleep 60"], timeoutSeconds: 3);
        using var answer = await _broker.CreateClient().GetAsync("/health");

        // Either the timeout ends it, or the shell itself can no longer fork its sleep (the group is full): never a clean exit.
        Assert.True(bomb.TimedOut || bomb.ExitCode != 0, $"exit {bomb.ExitCode}: {bomb.Stderr}");
        Assert.NotEqual(HttpStatusCode.InternalServerError, answer.StatusCode);
        for (var i = 0; i < 100 && SlotProcesses.Find(uid).Count > 0; i++)
        {
            await Task.Delay(50);
        }
        Assert.Empty(SlotProcesses.Find(uid));
        Assert.Equal("ok\n", (await client.ShAsync(sandbox.Id, "echo ok")).Stdout);
    }

    [Fact]
    public async Task A_fork_bomb_in_a_gvisor_sandbox_meets_the_process_limit_inside_and_the_sandbox_lives_on()
    {
        if (await FreeSandboxAtAsync("limits-fork-gvisor", IsolationLevels.Gvisor) is not var (client, sandbox))
        {
            return;
        }
        var pids = GroupIn(sandbox.Id, "limits-fork-gvisor", "pids");
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var keeper = await client.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "echo up; exec sleep 600"]);
        while (!(await client.LogsAsync(sandbox.Id, keeper.Pid)).Stdout.Contains("up"))
        {
            await Task.Delay(50, bound.Token);
        }

        var bomb = await client.ExecAsync(sandbox.Id, ["/bin/sh", "-c", "b() { b | b & }; b; sleep 60"], timeoutSeconds: 10);
        using var answer = await _broker.CreateClient().GetAsync("/health");
        var refusedByHost = File.ReadAllText(Path.Combine(pids, "pids.events")).Trim();

        // gVisor enforces the process limit itself (RLIMIT_NPROC): forks past it fail inside the sandbox. The host group
        // sits above what that many processes cost, so it never refuses a task (which the sentry would not survive).
        Assert.True(bomb.TimedOut || bomb.ExitCode != 0, $"exit {bomb.ExitCode}: {bomb.Stderr}");
        Assert.Contains("fork", bomb.Stderr);
        Assert.NotEqual(HttpStatusCode.InternalServerError, answer.StatusCode);
        Assert.Equal("max 0", refusedByHost);
        Assert.Equal("running", (await client.GetProcessAsync(sandbox.Id, keeper.Pid)).State);
        Assert.Equal("ok\n", (await client.ShAsync(sandbox.Id, "echo ok")).Stdout);
        var members = File.ReadAllLines(Path.Combine(pids, "cgroup.procs")).Select(int.Parse).ToHashSet();
        Assert.All(SandboxProcesses.SandboxRuntimeOnHost(_broker, _broker.SlotOf("limits-fork-gvisor", sandbox.Id)),
            pid => Assert.True(members.Contains(pid) || !Directory.Exists($"/proc/{pid}"), $"pid {pid} is outside the pids group"));
    }

    [Fact]
    public async Task One_exec_beyond_the_sandbox_cap_is_429_with_retry_after()
    {
        var (client, sandbox) = await FreeSandboxAsync("limits-execs");
        var running = new[] { client.ExecAsync(sandbox.Id, ["sleep", "3"]), client.ExecAsync(sandbox.Id, ["sleep", "3"]) };
        var live = _broker.Manager.Find("limits-execs", sandbox.Id)!;
        for (var i = 0; i < 100 && live.RunningExecs < 2; i++)
        {
            await Task.Delay(20);
        }

        using var third = await client.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "true" } });

        await BrokerCalls.AssertProblemAsync(third, 429);
        Assert.NotNull(third.Headers.RetryAfter);
        await Task.WhenAll(running);
        Assert.Equal(0, (await client.ExecAsync(sandbox.Id, ["true"])).ExitCode);
    }
}
