using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Background processes end with their sandbox however it ends: lifetime, offboarding; and keep it from going idle.</summary>
public sealed class ProcessLifetimeTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private BrokerFactory _broker = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:IdleTimeout"] = "00:00:01",
            ["SandboxBroker:SweepInterval"] = "00:00:00.200",
        });
        _ = _broker.Server;
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private static async Task NothingOfTheUidLeftAsync(SandboxSlot slot)
    {
        // SIGKILLed processes may still be releasing their memory for a moment; a live one would keep its command line.
        await IsolationTests.WaitUntil(() => SlotProcesses.Find(slot.Uid).All(pid => !File.Exists($"/proc/{pid}/cmdline") || File.ReadAllText($"/proc/{pid}/cmdline").Length == 0));
    }

    [Fact]
    public async Task Processes_end_when_the_sandbox_reaches_its_lifetime_and_a_running_one_keeps_it_from_idling()
    {
        var client = _broker.ClientFor("plife-expiry");
        var sandbox = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Bubblewrap, timeoutSeconds = 4 });
        var slot = _broker.SlotOf("plife-expiry", sandbox.Id);
        await client.StartProcessAsync(sandbox.Id, ["/bin/sh", "-c", "(setsid sleep 600 &); exec sleep 600"]);
        var startedAt = DateTimeOffset.UtcNow;

        await IsolationTests.WaitUntil(() => _broker.Manager.Find("plife-expiry", sandbox.Id) is null);

        // Idle (no call) for far longer than the 1 s idle timeout: only the lifetime could end it.
        Assert.True(DateTimeOffset.UtcNow - startedAt > TimeSpan.FromSeconds(2), "ended by the idle timeout while a process ran");
        await NothingOfTheUidLeftAsync(slot);
    }

    [Fact]
    public async Task Processes_end_when_the_tenant_is_offboarded()
    {
        var client = _broker.ClientFor("plife-offboard");
        var sandbox = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Bubblewrap });
        var slot = _broker.SlotOf("plife-offboard", sandbox.Id);
        await client.StartProcessAsync(sandbox.Id, ["sleep", "600"]);
        Assert.NotEmpty(SlotProcesses.Find(slot.Uid));

        await _broker.Services.GetRequiredService<SandboxManager>().OffboardAsync("plife-offboard");

        Assert.Null(_broker.Manager.Find("plife-offboard", sandbox.Id));
        await NothingOfTheUidLeftAsync(slot);
    }
}
