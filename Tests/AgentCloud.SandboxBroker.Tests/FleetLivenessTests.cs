using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Fleet;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// Who may declare whom dead, driven beat by beat against a real Redis: a live broker is never declared dead, a broker
/// that was itself away judges nobody, and one declared dead learns it from its next beat.
/// </summary>
public sealed class FleetLivenessTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private readonly IOptions<FleetOptions> _options = Options.Create(new FleetOptions { HeartbeatTimeout = TimeSpan.FromSeconds(30) });

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    private FleetMembership Member() =>
        new(_redis.Connection, new HostInstance(_options), _options, new ServiceCollection().BuildServiceProvider(), NullLogger<FleetMembership>.Instance);

    [Fact]
    public async Task A_sibling_that_beat_within_the_timeout_is_never_declared_dead()
    {
        var reaper = Member();
        var sibling = Member();
        await sibling.BeatAsync();
        await reaper.BeatAsync();

        Assert.Null(await reaper.DeclareDeadAsync(sibling.HostId));
        Assert.False(await sibling.BeatAsync());
    }

    [Fact]
    public async Task A_broker_whose_own_beats_just_resumed_declares_no_one_dead_however_old_their_beats_look()
    {
        var reaper = Member();
        // A sibling whose last beat is ancient, as every sibling looks to a broker back from a long Redis outage or stall.
        await _redis.Connection.GetDatabase().SortedSetAddAsync(FleetKeys.Hosts, "sibling-silent", 1);
        await reaper.BeatAsync();
        Assert.False(reaper.MayReap);

        var lost = new LostSandboxes(new FleetLeases(_redis.Connection, new HostInstance(_options), _options), reaper, null!, NullLogger<LostSandboxes>.Instance);
        await lost.ReapSilentAsync();

        Assert.False(await _redis.Connection.GetDatabase().KeyExistsAsync(FleetKeys.Declared("sibling-silent")));
        Assert.NotNull(await _redis.Connection.GetDatabase().SortedSetScoreAsync(FleetKeys.Hosts, "sibling-silent"));
    }

    [Fact]
    public async Task A_broker_that_is_not_beating_itself_cannot_declare_a_silent_sibling_dead()
    {
        var reaper = Member(); // never beat: not in the fleet
        await _redis.Connection.GetDatabase().SortedSetAddAsync(FleetKeys.Hosts, "sibling-silent", 1);

        Assert.Null(await reaper.DeclareDeadAsync("sibling-silent"));
    }

    [Fact]
    public async Task A_broker_declared_dead_learns_it_from_its_next_beat_which_does_not_revive_it_until_it_rejoins()
    {
        var reaper = Member();
        var stalled = Member();
        await stalled.BeatAsync();
        // Its last beat lies past the timeout (in Redis's time), as after a stall.
        await _redis.Connection.GetDatabase().SortedSetAddAsync(FleetKeys.Hosts, stalled.HostId, 1);
        await reaper.BeatAsync();

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1), await reaper.DeclareDeadAsync(stalled.HostId));
        Assert.Contains(await reaper.DeadAsync(), d => d.HostId == stalled.HostId);

        Assert.True(await stalled.BeatAsync());
        Assert.Null(await _redis.Connection.GetDatabase().SortedSetScoreAsync(FleetKeys.Hosts, stalled.HostId));
        Assert.True(await stalled.BeatAsync()); // still dead: it must end what it held first

        await stalled.RejoinAsync();
        Assert.False(await stalled.BeatAsync());
        Assert.NotNull(await _redis.Connection.GetDatabase().SortedSetScoreAsync(FleetKeys.Hosts, stalled.HostId));
    }

    [Fact]
    public void Every_fleet_key_lies_in_one_hash_slot_so_its_scripts_run_on_a_redis_cluster()
    {
        var slot = _redis.Connection.HashSlot(FleetKeys.Hosts);
        Assert.All(new[] { FleetKeys.Addresses, FleetKeys.Dead, FleetKeys.Leases("host-a"), FleetKeys.Owner("sbx_1"), FleetKeys.Tenant("acme"), FleetKeys.Declared("host-b") },
            key => Assert.Equal(slot, _redis.Connection.HashSlot(key)));
    }
}
