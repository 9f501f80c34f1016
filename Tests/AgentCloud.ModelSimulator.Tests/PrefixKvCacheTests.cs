using System.Diagnostics.Metrics;
using AgentCloud.ModelSimulator.Inference;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.ModelSimulator.Tests;

public sealed class PrefixKvCacheTests
{
    private static int[] Tokens(int start, int count) => Enumerable.Range(start, count).ToArray();

    [Fact]
    public void A_repeated_prompt_hits_every_full_block_before_its_last_token()
    {
        var cache = new PrefixKvCache(blockTokens: 16, capacityBlocks: 100);

        Assert.Equal(0, cache.Admit(Tokens(0, 65), "s"));
        Assert.Equal(64, cache.Admit(Tokens(0, 65), "s"));
        // 64 tokens: the last token must be computed, so its block is recomputed too.
        Assert.Equal(48, cache.Admit(Tokens(0, 64), "s"));
    }

    [Fact]
    public void A_different_salt_never_hits()
    {
        var cache = new PrefixKvCache(16, 100);
        cache.Admit(Tokens(0, 100), "tenant-a");

        Assert.Equal(0, cache.Admit(Tokens(0, 100), "tenant-b"));
        Assert.Equal(0, cache.Admit(Tokens(0, 100), null));
    }

    [Fact]
    public void A_block_after_a_different_prefix_does_not_hit_because_hashes_chain()
    {
        var cache = new PrefixKvCache(4, 100);
        cache.Admit([1, 2, 3, 4, 9, 9, 9, 9, 0], "s");

        Assert.Equal(0, cache.Admit([5, 6, 7, 8, 9, 9, 9, 9, 0], "s"));
    }

    [Fact]
    public void A_shared_prefix_hits_only_the_common_full_blocks()
    {
        var cache = new PrefixKvCache(16, 100);
        cache.Admit(Tokens(0, 100), "s");

        var probe = Tokens(0, 40).Concat(Tokens(1000, 60)).ToArray();

        Assert.Equal(32, cache.Admit(probe, "s"));
    }

    [Fact]
    public void A_partial_block_is_never_cached()
    {
        var cache = new PrefixKvCache(16, 100);
        cache.Admit(Tokens(0, 15), "s");

        Assert.Equal(0, cache.Admit(Tokens(0, 15), "s"));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Least_recently_used_blocks_are_evicted_beyond_capacity()
    {
        var cache = new PrefixKvCache(4, 8);
        var p1 = Tokens(0, 17);
        var p2 = Tokens(100, 17);
        var p3 = Tokens(200, 17);
        cache.Admit(p1, "s");
        cache.Admit(p2, "s");
        cache.Admit(p1, "s");

        cache.Admit(p3, "s");

        Assert.Equal(8, cache.Count);
        Assert.Equal(16, cache.Admit(p1, "s"));
        Assert.Equal(0, cache.Admit(p2, "s"));
    }

    [Fact]
    public void Hits_and_misses_are_counted_and_published_as_metrics()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        // Other tests in this process record on the same meter name at the same time: count only this instance's.
        var instance = "test-" + Guid.NewGuid().ToString("N");
        var metrics = new KvCacheMetrics(services.GetRequiredService<IMeterFactory>(), instance);
        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == KvCacheMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "instance", Value: string named } && named == instance)
                {
                    lock (measured) measured[instrument.Name] = measured.GetValueOrDefault(instrument.Name) + value;
                }
            }
        });
        listener.Start();
        var cache = new PrefixKvCache(16, 100, metrics);

        cache.Admit(Tokens(0, 49), "s");
        cache.Admit(Tokens(0, 49), "s");

        Assert.Equal(3, cache.HitBlocks);
        Assert.Equal(3, cache.MissBlocks);
        Assert.Equal(3, measured["simulator.kv_cache.hits"]);
        Assert.Equal(3, measured["simulator.kv_cache.misses"]);
        Assert.Equal(48, measured["simulator.kv_cache.cached_tokens"]);
    }
}
