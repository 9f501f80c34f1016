using AgentCloud.SandboxBroker.Usage;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Outbox;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Sandbox seconds survive Redis being down when a lease ends: spooled to disk, added once Redis is back.</summary>
public sealed class UsageSpoolTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    private BrokerFactory NewBroker(string? root = null) => new(_redis.ConnectionString, new Dictionary<string, string?>
    {
        ["SandboxBroker:OutboxRetryInterval"] = "00:00:00.100",
    }, root);

    private async Task<List<Dictionary<string, string>>> UsageEntriesAsync() =>
        (await _redis.Connection.GetDatabase().StreamRangeAsync(UsageEvent.StreamName))
            .Select(e => e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString())).ToList();

    [Fact]
    public async Task A_sandbox_deleted_while_redis_is_down_yields_exactly_one_usage_event_once_redis_is_back()
    {
        await using var broker = NewBroker();
        var client = broker.ClientFor("spool-tenant");
        var sandbox = await client.CreateSandboxAsync();
        var outbox = broker.Services.GetRequiredService<StreamOutbox>();

        await _redis.StopAsync();
        using var deleted = await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
        // The lease's usage is written as the lease ends; on a busy host that may trail the DELETE's answer a little.
        await IsolationTests.WaitUntil(() => File.Exists(outbox.SpoolPath) && File.ReadAllLines(outbox.SpoolPath).Length > 0);
        var spooled = File.ReadAllLines(outbox.SpoolPath);
        await _redis.StartAsync();
        // Replayed once the client has reconnected, which can take seconds after a restart on a loaded host.
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(!outbox.HasSpooled), TimeSpan.FromSeconds(60), "the spool to be replayed");

        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Single(spooled);
        Assert.Contains(SandboxUsage.EventIdOf(sandbox.Id), spooled[0]);
        var entries = await UsageEntriesAsync();
        var entry = UsageEvent.FromStreamFields(Assert.Single(entries), out var problem);
        Assert.Null(problem);
        Assert.Equal(SandboxUsage.EventIdOf(sandbox.Id), entry!.EventId);
        Assert.Equal("spool-tenant", entry.TenantId);
        Assert.Equal("sandbox", entry.Kind);
    }

    [Fact]
    public async Task A_spool_left_by_a_previous_run_is_replayed_when_the_broker_starts()
    {
        string spooledLine, eventId;
        await using (var first = NewBroker())
        {
            var client = first.ClientFor("spool-replay");
            var sandbox = await client.CreateSandboxAsync();
            eventId = SandboxUsage.EventIdOf(sandbox.Id);
            // Read before Redis stops: a host that loses Redis may stop itself, and its services with it.
            var spoolPath = first.Services.GetRequiredService<StreamOutbox>().SpoolPath;
            await _redis.StopAsync();
            (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).Dispose();
            spooledLine = Assert.Single(File.ReadAllLines(spoolPath));
        }
        await _redis.StartAsync();
        Assert.Empty(await UsageEntriesAsync());
        // The next run of the broker finds the spool in its state directory.
        var root = BrokerFactory.NewRoot();
        Directory.CreateDirectory(Path.Combine(root, "outbox"));
        File.WriteAllText(Path.Combine(root, "outbox", "spool.jsonl"), spooledLine + "\n");

        await using var restarted = NewBroker(root);
        _ = restarted.Server;
        await IsolationTests.WaitUntil(() => !restarted.Services.GetRequiredService<StreamOutbox>().HasSpooled);

        var entry = UsageEvent.FromStreamFields(Assert.Single(await UsageEntriesAsync()), out _);
        Assert.Equal(eventId, entry?.EventId);
    }
}
