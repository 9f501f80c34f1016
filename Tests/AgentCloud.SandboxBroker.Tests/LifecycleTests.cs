using System.Diagnostics;
using System.Text.Json;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Idle timeout, lifetime, the tenant-scoped sweeper and orphan reclaim on restart.</summary>
public sealed class LifecycleTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task Idle_sandbox_and_one_past_its_lifetime_are_ended_and_their_workspace_removed()
    {
        await using var broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:IdleTimeout"] = "00:00:02",
            ["SandboxBroker:SweepInterval"] = "00:00:00.200",
        });
        var client = broker.ClientFor("life-idle");
        // The short one first: a cold start (gVisor boots a sandbox) must not eat the idle one's second.
        var short_ = await client.CreateSandboxAsync(new { timeoutSeconds = 1 });
        var idle = await client.CreateSandboxAsync();
        var workspace = broker.SlotOf("life-idle", idle.Id).Workspace;
        await client.ShAsync(idle.Id, "echo x > file");

        await IsolationTests.WaitUntil(() => broker.Manager.Find("life-idle", idle.Id) is null && broker.Manager.Find("life-idle", short_.Id) is null
            && !File.Exists(Path.Combine(workspace, "file")));

        using var gone = await client.GetAsync($"/v1/sandboxes/{idle.Id}");
        await BrokerCalls.AssertProblemAsync(gone, 404);
    }

    [Fact]
    public async Task Sweeping_a_tenant_removes_its_stale_workspaces_and_touches_no_other_tenant()
    {
        await using var broker = new BrokerFactory(_redis.ConnectionString);
        _ = broker.Server;
        var layout = broker.Services.GetService(typeof(SlotLayout)) as SlotLayout;
        var staleA = Path.Combine(layout!.TenantDirectory("sweep-a"), "s-stale-a");
        var staleB = Path.Combine(layout.TenantDirectory("sweep-b"), "s-stale-b");
        Directory.CreateDirectory(Path.Combine(staleA, "workspace"));
        Directory.CreateDirectory(Path.Combine(staleB, "workspace"));
        var client = broker.ClientFor("sweep-a");
        var live = await client.CreateSandboxAsync();

        var swept = await broker.Manager.SweepTenantAsync("sweep-a");

        Assert.Equal(1, swept);
        Assert.False(Directory.Exists(staleA));
        Assert.True(Directory.Exists(staleB));
        Assert.NotNull(broker.Manager.Find("sweep-a", live.Id));
    }

    [Fact]
    public async Task Orphans_left_by_a_crashed_broker_are_reclaimed_on_restart()
    {
        var root = BrokerFactory.NewRoot();
        await using var first = new BrokerFactory(_redis.ConnectionString, root: root);
        _ = first.Server;
        var orphanUid = first.UidBase + 999;
        var orphanDir = Path.Combine(root, "tenants", "0123456789abcdef01234567", "sorphan");
        Directory.CreateDirectory(Path.Combine(orphanDir, "workspace"));
        File.WriteAllText(Path.Combine(root, "slots", "sorphan.json"), JsonSerializer.Serialize(new SlotRecord("sorphan", orphanUid)));
        using var leftover = Process.Start("setpriv", [$"--reuid={orphanUid}", $"--regid={orphanUid}", "--clear-groups", "sleep", "600"]);
        await IsolationTests.WaitUntil(() => SlotProcesses.Find(orphanUid).Count > 0);
        // What the kernel does when a crashed broker's process ends: its claim on the machine's first instance is free.
        first.Services.GetRequiredService<AgentCloud.SandboxBroker.Fleet.HostInstance>().Dispose();

        await using var restarted = new BrokerFactory(_redis.ConnectionString, root: root);
        _ = restarted.Server;

        Assert.Empty(SlotProcesses.Find(orphanUid));
        Assert.False(Directory.Exists(orphanDir));
        Assert.False(File.Exists(Path.Combine(root, "slots", "sorphan.json")));
        leftover.WaitForExit();
    }
}
