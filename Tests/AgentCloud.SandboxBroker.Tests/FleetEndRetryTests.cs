using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Fleet;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>A lease end Redis refused is not forgotten: its place under the tenant's fleet-wide limit is freed once Redis is back.</summary>
public sealed class FleetEndRetryTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("fleet-retry-redis").FullName;
    private readonly RedisServerFixture _redis;

    // Persistent, so what a restart keeps is what the retry must fix (an empty Redis would hide a leak).
    public FleetEndRetryTests() => _redis = new RedisServerFixture { DataDirectory = _data };
    private readonly IOptions<FleetOptions> _options = Options.Create(new FleetOptions());

    public Task InitializeAsync() => _redis.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private static Sandbox SandboxOf(string tenant) => new()
    {
        Id = "sbx_" + Guid.NewGuid().ToString("N")[..24], TenantId = tenant, Principal = "key:test", RunId = "run",
        Slot = new SandboxSlot("sretry", 612_345, "bubblewrap", "default", "/nonexistent", new PoolKey("bubblewrap", "default", null)),
        CreatedAt = DateTimeOffset.UtcNow, ExpiresAt = DateTimeOffset.UtcNow.AddHours(1), LastUsedAt = DateTimeOffset.UtcNow, Egress = [],
    };

    [Fact]
    public async Task An_abandon_and_an_end_that_failed_while_redis_was_away_free_the_tenants_places_once_it_is_back()
    {
        var fleet = new FleetLeases(_redis.Connection, new HostInstance(_options), _options);
        var abandoned = SandboxOf("fleet-retry");
        var ended = SandboxOf("fleet-retry");
        Assert.Null(fleet.TryAdmit(abandoned, 5));
        Assert.Null(fleet.TryAdmit(ended, 5));

        await _redis.StopAsync();
        fleet.Abandon(abandoned);
        Assert.True(await fleet.EndAsync(ended, paused: false, TimeSpan.Zero)); // Redis cannot say: billed, the event id dedupes
        Assert.Equal(2, await fleet.RetryUnfinishedAsync());

        await _redis.StartAsync();
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(_redis.Connection.IsConnected), TimeSpan.FromSeconds(30), "the client to reconnect");
        Assert.Equal(0, await fleet.RetryUnfinishedAsync());
        Assert.Equal(0, await fleet.CountAsync("fleet-retry"));
    }
}
