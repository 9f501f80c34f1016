using System.ComponentModel.DataAnnotations;

namespace AgentCloud.ModelSimulator.Extensions;

/// <summary>
/// The simulated model server's settings: the upstream API key the InferenceRouter presents, the models it serves,
/// its prefix KV cache and its latency model.
/// </summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "ModelSimulator";

    /// <summary>Like a real vLLM or OpenAI upstream, the simulator knows nothing of tenants: it only checks its API key.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ApiKey { get; set; } = "";

    /// <summary>A name for this instance (e.g. shared-0, dedicated-acme), reported as the owner of its models.</summary>
    public string InstanceName { get; set; } = "simulator";

    public static readonly IReadOnlyList<string> DefaultModels = ["sim-small", "sim-large"];

    /// <summary>The models served; <see cref="DefaultModels"/> when none are configured (binding would append to a non-empty default).</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>The context window of every served model: prompt plus output tokens.</summary>
    [Range(16, 1_000_000)]
    public int MaxModelTokens { get; set; } = 32_768;

    /// <summary>Tokens per KV-cache block (vLLM's default is 16).</summary>
    [Range(1, 1024)]
    public int CacheBlockTokens { get; set; } = 16;

    [Range(1, 10_000_000)]
    public int CacheCapacityBlocks { get; set; } = 8_192;

    /// <summary>Fixed cost of the first token, before any prompt work.</summary>
    [Range(0, 60_000)]
    public double BaseTtftMs { get; set; } = 20;

    /// <summary>Prefill cost of each prompt token not found in the KV cache.</summary>
    [Range(0, 1_000)]
    public double PrefillMsPerToken { get; set; } = 0.5;

    /// <summary>Cost of each prompt token served from the KV cache: nearly free, which is the side channel.</summary>
    [Range(0, 1_000)]
    public double CachedPrefillMsPerToken { get; set; } = 0.01;

    /// <summary>Time per output token after the first.</summary>
    [Range(0, 60_000)]
    public double TpotMs { get; set; } = 15;

    /// <summary>Requests decoded at once; further requests wait for a slot.</summary>
    [Range(1, 4096)]
    public int Slots { get; set; } = 8;

    [Range(1, 4096)]
    public int EmbeddingDimensions { get; set; } = 384;
}
