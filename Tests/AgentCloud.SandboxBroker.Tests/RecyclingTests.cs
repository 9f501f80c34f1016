using System.Net.Http.Json;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Native;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// Recycling at bubblewrap, namespace, gvisor (where the host offers it; else it must be refused) and at "none"
/// (operator-only; where a background process really outlives its exec).
/// </summary>
public sealed class RecyclingTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private BrokerFactory _broker = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?>
        {
            [WarmPool.SizeSetting] = "1",
            ["SandboxBroker:PooledLevels:0"] = "bubblewrap",
            ["SandboxBroker:PooledLevels:1"] = "none",
            ["SandboxBroker:PooledLevels:2"] = "namespace",
            ["SandboxBroker:PooledLevels:3"] = "gvisor",
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
    [InlineData("gvisor")]
    [InlineData("none")]
    public async Task Next_run_finds_no_file_process_or_variable_left_by_the_previous_one(string level)
    {
        AcceptOnly($"rec-a-{level}", level);
        AcceptOnly($"rec-b-{level}", level);
        var first = _broker.ClientFor($"rec-a-{level}");
        var second = _broker.ClientFor($"rec-b-{level}");
        if (!_broker.Services.GetRequiredService<IsolationCatalog>().IsAvailable(level))
        {
            using var refused = await first.PostAsJsonAsync("/v1/sandboxes", new { isolation = level });
            Assert.Equal(System.Net.HttpStatusCode.Conflict, refused.StatusCode);
            return;
        }
        await WaitForWarm(level);
        var used = await first.CreateSandboxAsync();
        var slot = _broker.SlotOf($"rec-a-{level}", used.Id);
        var usedHostProcesses = SandboxProcesses.OnHost(_broker, slot);
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
        // find, not ls: the runsc of Debian 12 refuses the statx flag coreutils' ls passes, and a failing ls would see nothing.
        var look = await second.ShAsync(reused.Id, "find . ${TMPDIR:-/tmp} -mindepth 1 || echo LISTING-FAILED; env; cat .profile; " +
            (level == "none" ? "" : "find /dev/shm -mindepth 1 || echo LISTING-FAILED; ps -e -o comm="));

        Assert.Equal(slot.SlotId, reusedSlot.SlotId);
        Assert.NotEqual(used.Id, reused.Id);
        Assert.True(reused.Warm);
        Assert.DoesNotContain("LISTING-FAILED", look.Stdout);
        Assert.DoesNotContain("left.txt", look.Stdout);
        Assert.DoesNotContain("LEFTOVER", look.Stdout);
        Assert.DoesNotContain(".profile", look.Stdout);
        Assert.Empty(afterRecycling);
        Assert.DoesNotContain("sleep", look.Stdout);
        // The previous run's sandbox itself is gone too (at gvisor: its sentry, gofer and stubs), not just its files.
        Assert.Empty(usedHostProcesses.Intersect(SandboxProcesses.OnHost(_broker, reusedSlot)));
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
