using System.Globalization;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// A sandbox's process limit binds its background processes and its execs together: a process that forks up to the
/// limit leaves a later exec unable to fork, at the levels whose processes share one boundary.
/// </summary>
public sealed class ProcessLimitTests : IAsyncLifetime
{
    private const int MaxProcesses = 16;
    private readonly RedisServerFixture _redis = new();
    private BrokerFactory _broker = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:Limits:MaxProcesses"] = MaxProcesses.ToString(CultureInfo.InvariantCulture),
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
    public async Task Processes_and_execs_share_one_process_limit(string level)
    {
        var offered = _broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == level);
        if (!offered.Available)
        {
            Assert.False(string.IsNullOrWhiteSpace(offered.Reason));
            return;
        }
        var tenant = $"plimit-{level}";
        var client = _broker.ClientFor(tenant);
        var sandbox = await client.CreateSandboxAsync(new { isolation = level });
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

        Assert.DoesNotContain("forked", exec.Stdout);
        Assert.True(SlotProcesses.Find(slot.Uid).Count <= MaxProcesses + 2, $"{SlotProcesses.Find(slot.Uid).Count} processes of the sandbox's uid");
        var cgroups = _broker.Services.GetRequiredService<CgroupLimiter>();
        if (cgroups.Enabled)
        {
            var group = cgroups.Dirs(_broker.Manager.Find(tenant, sandbox.Id)!.Cgroup!).First(d => File.Exists(Path.Combine(d, "pids.max")));
            Assert.Equal(MaxProcesses.ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(group, "pids.max")).Trim());
            Assert.True(long.Parse(File.ReadAllText(Path.Combine(group, "pids.current")), CultureInfo.InvariantCulture) <= MaxProcesses);
        }
    }
}
