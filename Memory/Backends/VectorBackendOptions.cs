using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Memory.Backends;

public enum VectorBackendKind
{
    Qdrant,
    Pgvector,
}

/// <summary>Which vector store the AppHost wired to this service, and why (shown in the health report).</summary>
public sealed class VectorBackendOptions
{
    public const string SectionName = "Memory";

    [Required]
    public VectorBackendKind Backend { get; set; } = VectorBackendKind.Qdrant;

    /// <summary>Why this backend was chosen, e.g. "Qdrant not available".</summary>
    public string? Reason { get; set; }

    public string Describe() =>
        Backend switch
        {
            VectorBackendKind.Qdrant => "vector backend: qdrant",
            _ => Reason is null ? "vector backend: pgvector" : $"vector backend: pgvector ({Reason})",
        };
}
