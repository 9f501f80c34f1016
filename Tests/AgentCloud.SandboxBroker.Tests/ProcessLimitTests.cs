using System.Globalization;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// A sandbox's limits bind its background processes and its execs together, at every level that keeps processes: a
/// process that forks up to the process limit leaves a later exec unable to fork, and several processes holding memory
/// together meet the sandbox's one memory limit.
/// </summary>
public sealed class ProcessLimitTests : IAsyncLifetime
{
    private const int MaxProcesses = 16;
    private const long MemoryBytes = 192L * 1024 * 1024;
    private readonly RedisServerFixture _redis = new();
    private BrokerFactory _broker = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:Limits:MaxProcesses"] = MaxProcesses.ToString(CultureInfo.InvariantCulture),
            ["SandboxBroker:Limits:MemoryBytes"] = MemoryBytes.ToString(CultureInfo.InvariantCulture),
        });
        _ = _broker.Server;
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Theory]
    [InlineData(IsolationLevels.Bubblewrap)]
    [InlineData(IsolationLevels.Namespace)]
    [InlineData(IsolationLevels.Gvisor)]
    public async Task Processes_and_execs_share_one_process_limit(string level)
    {
        if (await SandboxAtAsync($"plimit-{level}", level) is not var (client, sandbox))
        {
            return;
        }
        var tenant = $"plimit-{level}";
        var slot = _broker.SlotOf(tenant, sandbox.Id);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        // Tries to fork twice the limit (the kernel refuses some), then says so; what it got keeps running.
        var hog = await client.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c",
            $"(i=0; while [ $i -lt {2 * MaxProcesses} ]; do sleep 600 & i=$((i+1)); done) 2>/dev/null; echo started; exec sleep 600"]);
        while (!(await client.LogsAsync(sandbox.Id, hog.Pid)).Stdout.Contains("started"))
        {
            await Task.Delay(50, bound.Token);
        }
        var exec = await client.ShAsync(sandbox.Id, "sleep 1 & echo forked");

        // gVisor too: it enforces the process limit itself, and the host group sits above what that many processes cost.
        Assert.DoesNotContain("forked", exec.Stdout);
        var running = SandboxProcesses.TenantCommands(_broker, slot).Count;
        Assert.True(running <= MaxProcesses + 2, $"{running} processes of the sandbox's uid");
        var cgroups = _broker.Services.GetRequiredService<CgroupLimiter>();
        if (cgroups.Enabled && level != IsolationLevels.Gvisor)
        {
            var group = cgroups.Dirs(_broker.Manager.Find(tenant, sandbox.Id)!.Cgroup!).First(d => File.Exists(Path.Combine(d, "pids.max")));
            Assert.Equal(MaxProcesses.ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(group, "pids.max")).Trim());
            Assert.True(long.Parse(File.ReadAllText(Path.Combine(group, "pids.current")), CultureInfo.InvariantCulture) <= MaxProcesses);
        }
    }

    [Theory]
    [InlineData(IsolationLevels.Bubblewrap)]
    [InlineData(IsolationLevels.Namespace)]
    [InlineData(IsolationLevels.Gvisor)]
    public async Task Processes_holding_memory_together_meet_the_sandboxs_one_memory_limit(string level)
    {
        var cgroups = _broker.Services.GetRequiredService<CgroupLimiter>();
        Assert.True(cgroups.Enabled, cgroups.Support.Reason);
        if (await SandboxAtAsync($"pmemory-{level}", level) is not var (client, sandbox))
        {
            return;
        }
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        // Four processes of 64 MiB each, one after the other: each alone is well under the limit, three already are not.
        var holders = new List<ProcessDto>();
        for (var i = 0; i < 4; i++)
        {
            var holder = await client.StartProcessAsync(sandbox.Id, ["perl", "-e", "$| = 1; my $x = 'a' x (64 * 1024 * 1024); print qq(held\\n); sleep 600"]);
            holders.Add(holder);
            while ((await client.GetProcessAsync(sandbox.Id, holder.Pid)).State == "running" && !(await client.LogsAsync(sandbox.Id, holder.Pid)).Stdout.Contains("held"))
            {
                await Task.Delay(50, bound.Token);
            }
        }

        var holding = 0;
        foreach (var holder in holders)
        {
            if ((await client.GetProcessAsync(sandbox.Id, holder.Pid)).State == "running" && (await client.LogsAsync(sandbox.Id, holder.Pid)).Stdout.Contains("held"))
            {
                holding++;
            }
        }
        // The first one alone fits, so the limit (not a failure to start) is what stopped the rest.
        Assert.Contains("held", (await client.LogsAsync(sandbox.Id, holders[0].Pid)).Stdout);
        Assert.InRange(holding, 0, 2);
        var group = cgroups.Dirs(_broker.Manager.Find($"pmemory-{level}", sandbox.Id)!.Cgroup!).First(d => File.Exists(Path.Combine(d, "memory.max_usage_in_bytes")) || File.Exists(Path.Combine(d, "memory.peak")));
        var peakFile = File.Exists(Path.Combine(group, "memory.max_usage_in_bytes")) ? "memory.max_usage_in_bytes" : "memory.peak";
        // The kernel may force a page or two past the limit while it kills.
        Assert.InRange(long.Parse(File.ReadAllText(Path.Combine(group, peakFile)), CultureInfo.InvariantCulture), MemoryBytes / 4, MemoryBytes + 1024 * 1024);
        Assert.Equal("ok\n", (await client.ShAsync(sandbox.Id, "echo ok")).Stdout);
    }

    private async Task<(HttpClient Client, SandboxDto Sandbox)?> SandboxAtAsync(string tenant, string level)
    {
        var offered = _broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == level);
        if (!offered.Available)
        {
            Assert.False(string.IsNullOrWhiteSpace(offered.Reason));
            return null;
        }
        var client = _broker.ClientFor(tenant);
        return (client, await client.CreateSandboxAsync(new { isolation = level }));
    }
}
