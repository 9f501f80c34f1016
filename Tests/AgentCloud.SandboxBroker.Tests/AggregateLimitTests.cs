using System.Net;
using System.Net.Http.Json;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using System.Globalization;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// Whole-sandbox limits on real runs: a broker with small memory, disk and exec limits, and a free tenant trying to
/// take the host down with a memory bomb, a disk fill and a fork bomb while the broker keeps answering.
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

    private async Task<(HttpClient, SandboxDto)> FreeSandboxAsync(string tenant)
    {
        _broker.Policies.Set(FakePolicies.Default(tenant) with { Tier = "free", SandboxIsolationLevels = ["bubblewrap", "namespace"] });
        var client = _broker.ClientFor(tenant);
        return (client, await client.CreateSandboxAsync());
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

    [Fact]
    public async Task A_memory_bomb_dies_inside_its_sandbox_while_the_broker_keeps_answering()
    {
        var limiter = _broker.Services.GetRequiredService<CgroupLimiter>();
        Assert.True(limiter.Enabled, limiter.Support.Reason);
        var (client, sandbox) = await FreeSandboxAsync("limits-memory");

        // 1 GiB touched page by page, five times the sandbox's memory.
        var bomb = client.ExecAsync(sandbox.Id, ["perl", "-e", "my $x = 'a' x (1024 * 1024 * 1024); print qq(SURVIVED\\n)"], timeoutSeconds: 60);
        using var health = await _broker.CreateClient().GetAsync("/health");
        var result = await bomb;

        Assert.NotEqual(HttpStatusCode.InternalServerError, health.StatusCode);
        Assert.DoesNotContain("SURVIVED", result.Stdout);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("ok\n", (await client.ShAsync(sandbox.Id, "echo ok")).Stdout);
    }

    [Theory]
    [InlineData("/workspace/fill", 32)]
    [InlineData("/tmp/fill", 16)]
    public async Task A_disk_fill_stops_at_the_quota_with_enospc(string path, int megabytes)
    {
        var (client, sandbox) = await FreeSandboxAsync("limits-disk");

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
