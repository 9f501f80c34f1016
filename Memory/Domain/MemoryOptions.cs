using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Memory.Domain;

/// <summary>Limits of the memory API and the model that embeds texts.</summary>
public sealed class MemoryOptions
{
    public const string SectionName = "Memory";

    /// <summary>The InferenceRouter model used for <c>/v1/embeddings</c>.</summary>
    [Required]
    public string EmbeddingModel { get; set; } = "sim-small";

    [Range(1, 10_000)]
    public int MaxPointsPerCall { get; set; } = 1_000;

    [Range(1, 1_000_000)]
    public int MaxTextLength { get; set; } = 8_192;

    [Range(1, 65_536)]
    public int MaxDimension { get; set; } = 4_096;

    /// <summary>Serialized size of one point's payload.</summary>
    [Range(2, 1_048_576)]
    public int MaxPayloadBytes { get; set; } = 16_384;

    [Range(1, 1_000)]
    public int MaxSearchLimit { get; set; } = 100;

    [Range(1, 1_000)]
    public int DefaultSearchLimit { get; set; } = 10;

    /// <summary>Texts per embeddings call to the router.</summary>
    [Range(1, 2_048)]
    public int EmbeddingBatchSize { get; set; } = 256;

    /// <summary>How long a request waits for the vector store before answering 503 with Retry-After.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan StoreDeadline { get; set; } = TimeSpan.FromMilliseconds(750);

    /// <summary>Added to <see cref="StoreDeadline"/> per point of an upsert, so large batches are not cut short.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan StoreDeadlinePerPoint { get; set; } = TimeSpan.FromMilliseconds(1);
}
