using System.Diagnostics.Metrics;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>Prefix-cache hit and miss counters, in blocks and tokens, on the <c>AgentCloud.ModelSimulator</c> meter.</summary>
public sealed class KvCacheMetrics
{
    public const string MeterName = "AgentCloud.ModelSimulator";

    private readonly Counter<long> _hitBlocks;
    private readonly Counter<long> _missBlocks;
    private readonly Counter<long> _cachedTokens;
    private readonly KeyValuePair<string, object?> _instance;

    public KvCacheMetrics(IMeterFactory meters, string instance)
    {
        var meter = meters.Create(MeterName);
        _hitBlocks = meter.CreateCounter<long>("simulator.kv_cache.hits", "{block}", "Prompt blocks found in the prefix cache");
        _missBlocks = meter.CreateCounter<long>("simulator.kv_cache.misses", "{block}", "Prompt blocks computed and inserted");
        _cachedTokens = meter.CreateCounter<long>("simulator.kv_cache.cached_tokens", "{token}", "Prompt tokens served from the cache");
        _instance = new("instance", instance);
    }

    public void Record(int hitBlocks, int missBlocks, int cachedTokens)
    {
        _hitBlocks.Add(hitBlocks, _instance);
        _missBlocks.Add(missBlocks, _instance);
        _cachedTokens.Add(cachedTokens, _instance);
    }
}
