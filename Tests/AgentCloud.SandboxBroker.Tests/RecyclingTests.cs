using AgentCloud.SandboxBroker.Native;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Recycling at bubblewrap, namespace and at "none" (operator-only; where a background process really outlives its exec).</summary>
public sealed class RecyclingTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private BrokerFactory _broker = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:PooledLevels:0"] = "bubblewrap",
            ["SandboxBroker:PooledLevels:1"] = "none",
            ["SandboxBroker:PooledLevels:2"] = "namespace",
            ["SandboxBroker:EnableNoneLevel"] = "true",
        });
        _ = _broker.Server;
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private void AcceptOnly(string tenant, string level) =>
        _broker.Policies.Set(FakePolicies.Default(tenant) with { SandboxIsolationLevels = [level] });

    [Theory]
    [InlineData("bubblewrap")]
    [InlineData("namespace")]
    [InlineData("none")]
    public async Task Next_run_finds_no_file_process_or_variable_left_by_the_previous_one(string level)
    {
        AcceptOnly($"rec-a-{level}", level);
        AcceptOnly($"rec-b-{level}", level);
        var first = _broker.ClientFor($"rec-a-{level}");
        var second = _broker.ClientFor($"rec-b-{level}");
        await WaitForWarm(level);
        var used = await first.CreateSandboxAsync();
        var slot = _broker.SlotOf($"rec-a-{level}", used.Id);
        await first.ShAsync(used.Id,
            "echo secret > left.txt; echo secret > ${TMPDIR:-/tmp}/left.txt; echo 'export LEFTOVER=1' >> .profile; " +
            "export LEFTOVER=1; setsid sleep 600 </dev/null >/dev/null 2>&1 & " +
            (level == "none" ? "" : "echo secret > /dev/shm/left.txt; ") + "echo done");
        if (level == "none")
        {
            Assert.NotEmpty(SlotProcesses.Find(slot.Uid));
        }

        using var deleted = await first.DeleteAsync($"/v1/sandboxes/{used.Id}");
        var afterRecycling = SlotProcesses.Find(slot.Uid);
        var reused = await second.CreateSandboxAsync();
        var reusedSlot = _broker.SlotOf($"rec-b-{level}", reused.Id);
        var look = await second.ShAsync(reused.Id, "ls -A . ${TMPDIR:-/tmp}; env; cat .profile; " + (level == "none" ? "" : "ls -A /dev/shm; ps -e -o comm="));

        Assert.Equal(slot.SlotId, reusedSlot.SlotId);
        Assert.NotEqual(used.Id, reused.Id);
        Assert.True(reused.Warm);
        Assert.DoesNotContain("left.txt", look.Stdout);
        Assert.DoesNotContain("LEFTOVER", look.Stdout);
        Assert.DoesNotContain(".profile", look.Stdout);
        Assert.Empty(afterRecycling);
        Assert.DoesNotContain("sleep", look.Stdout);
    }

    [Fact]
    public async Task Sandbox_whose_verification_scan_fails_is_destroyed_not_reused()
    {
        AcceptOnly("rec-scan", "bubblewrap");
        var client = _broker.ClientFor("rec-scan");
        await WaitForWarm("bubblewrap");
        var sandbox = await client.CreateSandboxAsync();
        var slot = _broker.SlotOf("rec-scan", sandbox.Id);
        // A workspace that lost its filesystem and cannot be wiped (immutable) must fail the scan.
        Assert.Equal(0, Libc.Umount2(slot.Workspace, Libc.MNT_DETACH));
        await LocalProcess.RunAsync("chattr", ["+i", slot.Workspace]);
        try
        {
            using var deleted = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");

            Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
            Assert.False(_broker.Pools.Contains(slot.SlotId));
            var next = await client.CreateSandboxAsync();
            Assert.NotEqual(slot.SlotId, _broker.SlotOf("rec-scan", next.Id).SlotId);
        }
        finally
        {
            await LocalProcess.RunAsync("chattr", ["-i", slot.Workspace]);
        }
    }

    private async Task WaitForWarm(string level) =>
        await IsolationTests.WaitUntil(() => _broker.Pools.Count(new PoolKey(level, "default", null)) > 0);
}
