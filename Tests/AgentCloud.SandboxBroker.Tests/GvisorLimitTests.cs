using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>A gVisor sandbox's memory is one cgroup's: a tenant's memory bomb ends its own sandbox, never the host or the broker.</summary>
public sealed class GvisorLimitTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task A_memory_bomb_dies_inside_its_gvisor_sandbox_and_the_next_exec_gets_a_fresh_one()
    {
        await using var broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:Limits:MemoryBytes"] = (256L * 1024 * 1024).ToString(),
        });
        var client = broker.ClientFor("gv-bomb");
        var gvisor = broker.Gvisor();
        var level = broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == IsolationLevels.Gvisor);
        if (!level.Available || !gvisor.Cgroups)
        {
            // Without cgroups the reason says so: no aggregate limit is claimed.
            Assert.Contains(level.Available ? "no aggregate limit" : "runsc", level.Reason);
            return;
        }
        var sandbox = await client.CreateSandboxAsync(new { isolation = "gvisor" });
        await client.ShAsync(sandbox.Id, "echo kept > /workspace/kept.txt");

        var bomb = await client.ExecAsync(sandbox.Id, ["python3", "-c", "b = []\nwhile True: b.append(bytearray(32 * 1024 * 1024))"], timeoutSeconds: 60);
        var after = await client.ShAsync(sandbox.Id, "cat /workspace/kept.txt");
        using var health = await broker.CreateClient().GetAsync("/alive");

        Assert.NotEqual(0, bomb.ExitCode);
        Assert.False(bomb.TimedOut);
        Assert.Equal("kept\n", after.Stdout);
        Assert.True(health.IsSuccessStatusCode);
    }
}
