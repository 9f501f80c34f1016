using System.ComponentModel.DataAnnotations;

namespace AgentCloud.InferenceRouter.Extensions;

/// <summary>How the shared pool picks a replica (section <c>InferenceRouter:Routing</c>); dedicated placement ignores it.</summary>
public sealed class RoutingOptions
{
    public const string SectionName = "InferenceRouter:Routing";

    public RoutingStrategy Strategy { get; set; } = RoutingStrategy.CacheAware;

    /// <summary>Tokens per prompt block in the routing key: the upstream's KV-cache block size (vLLM's default is 16).</summary>
    [Range(1, 1024)]
    public int PrefixBlockTokens { get; set; } = 16;

    /// <summary>How many leading full blocks of the prompt make the routing key; prompts sharing them share a replica.</summary>
    [Range(1, 4096)]
    public int PrefixBlocks { get; set; } = 8;

    /// <summary>
    /// The bound of consistent hashing with bounded loads: a replica takes a call only while its calls stay within
    /// <c>ceil(LoadFactor × the pool's average)</c>, counting this one; otherwise the call walks on round the ring.
    /// </summary>
    [Range(1.0, 100.0)]
    public double LoadFactor { get; set; } = 1.25;

    /// <summary>Points per replica on the hash ring; more points spread keys more evenly.</summary>
    [Range(1, 4096)]
    public int VirtualNodes { get; set; } = 160;
}

public enum RoutingStrategy
{
    /// <summary>A tenant's prompt prefix keeps to the replica whose KV cache holds it, within a load bound.</summary>
    CacheAware,

    /// <summary>The fewest calls in flight, ties in turn: spreads evenly and ignores the replicas' caches.</summary>
    LeastLoaded,
}
