using AgentCloud.Gateway.Auth;
using AgentCloud.Gateway.Extensions;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using System.Globalization;

namespace AgentCloud.Gateway.Tests;

/// <summary>The key cache's rules, against an in-memory stand-in for the ControlPlane (pure logic, no network).</summary>
public sealed class KeyCacheTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-27T12:00:00Z", CultureInfo.InvariantCulture));
    private readonly FakeResolver _controlPlane = new();
    private readonly CachedKeyResolver _cache;

    public KeyCacheTests() =>
        _cache = new CachedKeyResolver(_controlPlane, Options.Create(new GatewayOptions
        {
            KeyCacheDuration = TimeSpan.FromSeconds(30),
            UnknownKeyCacheDuration = TimeSpan.FromSeconds(5),
        }), _time);

    [Fact]
    public async Task A_known_key_is_asked_for_again_only_after_the_cache_duration()
    {
        _controlPlane.Keys["k-acme"] = Key("key_1", "acme");

        await _cache.ResolveAsync("k-acme", default);
        _time.Advance(TimeSpan.FromSeconds(29));
        await _cache.ResolveAsync("k-acme", default);
        var callsWithinDuration = _controlPlane.Calls;
        _time.Advance(TimeSpan.FromSeconds(2));
        await _cache.ResolveAsync("k-acme", default);

        Assert.Equal(1, callsWithinDuration);
        Assert.Equal(2, _controlPlane.Calls);
    }

    [Fact]
    public async Task An_unknown_key_is_remembered_as_unknown_only_briefly()
    {
        Assert.Null(await _cache.ResolveAsync("k-new", default));
        _controlPlane.Keys["k-new"] = Key("key_2", "acme");

        var stillUnknown = await _cache.ResolveAsync("k-new", default);
        _time.Advance(TimeSpan.FromSeconds(6));
        var nowKnown = await _cache.ResolveAsync("k-new", default);

        Assert.Null(stillUnknown);
        Assert.Equal("acme", nowKnown?.TenantId);
    }

    [Fact]
    public async Task Forgetting_a_key_id_makes_the_next_call_ask_again_and_see_the_revocation()
    {
        _controlPlane.Keys["k-acme"] = Key("key_1", "acme");
        await _cache.ResolveAsync("k-acme", default);
        _controlPlane.Keys.Remove("k-acme");

        _cache.Forget("key_1");

        Assert.Null(await _cache.ResolveAsync("k-acme", default));
    }

    [Fact]
    public async Task A_revocation_during_a_lookup_is_not_undone_by_caching_the_older_answer()
    {
        _controlPlane.Keys["k-acme"] = Key("key_1", "acme");
        _controlPlane.Gate = new TaskCompletionSource();
        var inFlight = _cache.ResolveAsync("k-acme", default);

        _cache.Forget("key_1");
        _controlPlane.Keys.Remove("k-acme");
        _controlPlane.Gate.SetResult();
        await inFlight;

        Assert.Null(await _cache.ResolveAsync("k-acme", default));
    }

    [Fact]
    public async Task Concurrent_misses_for_one_key_share_one_lookup()
    {
        _controlPlane.Keys["k-acme"] = Key("key_1", "acme");
        _controlPlane.Gate = new TaskCompletionSource();

        var waiting = Enumerable.Range(0, 50).Select(_ => _cache.ResolveAsync("k-acme", default)).ToList();
        _controlPlane.Gate.SetResult();
        var answers = await Task.WhenAll(waiting);

        Assert.Equal(1, _controlPlane.Calls);
        Assert.All(answers, a => Assert.Equal("acme", a?.TenantId));
    }

    [Fact]
    public async Task Keys_are_not_confused_with_one_another()
    {
        _controlPlane.Keys["k-acme"] = Key("key_1", "acme");
        _controlPlane.Keys["k-globex"] = Key("key_2", "globex");

        Assert.Equal("acme", (await _cache.ResolveAsync("k-acme", default))?.TenantId);
        Assert.Equal("globex", (await _cache.ResolveAsync("k-globex", default))?.TenantId);
        Assert.Null(await _cache.ResolveAsync("k-acme ", default));
    }

    [Fact]
    public async Task A_run_key_is_not_trusted_from_the_cache_past_its_own_expiry()
    {
        _controlPlane.Keys["k-run"] = Key("key_run", "acme") with { RunId = "sbx_1", ExpiresAt = _time.GetUtcNow().AddSeconds(10) };

        await _cache.ResolveAsync("k-run", default);
        _time.Advance(TimeSpan.FromSeconds(9));
        await _cache.ResolveAsync("k-run", default);
        var callsBeforeExpiry = _controlPlane.Calls;
        _time.Advance(TimeSpan.FromSeconds(2));
        await _cache.ResolveAsync("k-run", default);

        Assert.Equal(1, callsBeforeExpiry);
        Assert.Equal(2, _controlPlane.Calls);
    }

    [Fact]
    public async Task A_known_key_is_served_on_its_expired_entry_while_the_control_plane_cannot_answer()
    {
        _controlPlane.Keys["k-acme"] = Key("key_1", "acme");
        await _cache.ResolveAsync("k-acme", default);
        _time.Advance(TimeSpan.FromSeconds(31));
        _controlPlane.Unavailable = true;

        var served = await _cache.ResolveAsync("k-acme", default);

        Assert.Equal("acme", served?.TenantId);
        Assert.Equal(2, _controlPlane.Calls);
    }

    [Fact]
    public async Task A_known_key_waits_for_a_slow_refresh_only_so_long_and_the_late_answer_is_kept()
    {
        _controlPlane.Keys["k-acme"] = Key("key_1", "acme");
        await _cache.ResolveAsync("k-acme", default);
        _time.Advance(TimeSpan.FromSeconds(31));
        _controlPlane.Gate = new TaskCompletionSource();

        var call = _cache.ResolveAsync("k-acme", default);
        var waitedForRefresh = !call.IsCompleted;
        _time.Advance(TimeSpan.FromMilliseconds(500));
        var served = await call;
        _controlPlane.Keys.Remove("k-acme"); // the refresh, answered late, finds the key revoked
        _controlPlane.Gate.SetResult();
        while (_cache.IsResolving("k-acme"))
        {
            await Task.Yield();
        }

        Assert.True(waitedForRefresh);
        Assert.Equal("acme", served?.TenantId);
        Assert.Null(await _cache.ResolveAsync("k-acme", default));
    }

    [Fact]
    public async Task Once_a_refresh_has_overrun_its_wait_later_calls_with_the_known_key_are_served_at_once()
    {
        _controlPlane.Keys["k-acme"] = Key("key_1", "acme");
        await _cache.ResolveAsync("k-acme", default);
        _time.Advance(TimeSpan.FromSeconds(31));
        _controlPlane.Gate = new TaskCompletionSource();
        var first = _cache.ResolveAsync("k-acme", default);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await first;

        var later = _cache.ResolveAsync("k-acme", default);

        Assert.True(later.IsCompleted, "a call after the refresh overran waited for it again");
        Assert.Equal("acme", (await later)?.TenantId);
        Assert.Equal(2, _controlPlane.Calls);
        _controlPlane.Gate.SetResult();
    }

    [Fact]
    public async Task An_entry_past_the_stale_limit_or_a_never_known_key_gets_no_fallback()
    {
        _controlPlane.Keys["k-acme"] = Key("key_1", "acme");
        await _cache.ResolveAsync("k-acme", default);
        _time.Advance(TimeSpan.FromSeconds(30) + TimeSpan.FromMinutes(5));
        _controlPlane.Unavailable = true;

        await Assert.ThrowsAsync<KeyResolutionUnavailableException>(() => _cache.ResolveAsync("k-acme", default));
        await Assert.ThrowsAsync<KeyResolutionUnavailableException>(() => _cache.ResolveAsync("k-other", default));
    }

    [Fact]
    public async Task A_run_key_is_never_served_past_its_own_expiry_nor_a_forgotten_key_at_all()
    {
        _controlPlane.Keys["k-run"] = Key("key_run", "acme") with { ExpiresAt = _time.GetUtcNow().AddSeconds(10) };
        _controlPlane.Keys["k-acme"] = Key("key_1", "acme");
        await _cache.ResolveAsync("k-run", default);
        await _cache.ResolveAsync("k-acme", default);
        _cache.Forget("key_1");
        _time.Advance(TimeSpan.FromSeconds(11));
        _controlPlane.Unavailable = true;

        await Assert.ThrowsAsync<KeyResolutionUnavailableException>(() => _cache.ResolveAsync("k-run", default));
        await Assert.ThrowsAsync<KeyResolutionUnavailableException>(() => _cache.ResolveAsync("k-acme", default));
    }

    private static ResolvedKey Key(string keyId, string tenantId) =>
        new(keyId, tenantId, "pro", "key:" + keyId, ["inference"], null, new TenantPolicy { TenantId = tenantId, Tier = "pro" });

    private sealed class FakeResolver : ITenantKeyResolver
    {
        public Dictionary<string, ResolvedKey> Keys { get; } = new();

        public TaskCompletionSource? Gate { get; set; }

        public int Calls;

        public bool Unavailable { get; set; }

        public async Task<ResolvedKey?> ResolveAsync(string apiKey, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            if (Gate is not null)
            {
                await Gate.Task;
            }
            if (Unavailable)
            {
                throw new KeyResolutionUnavailableException("The ControlPlane is away.");
            }
            return Keys.GetValueOrDefault(apiKey);
        }
    }
}
