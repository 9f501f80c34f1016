namespace AgentCloud.Memory.Embeddings;

/// <summary>Turns texts into vectors, charged to the calling tenant.</summary>
public interface ITextEmbedder
{
    /// <summary>One vector per text, in the order given.</summary>
    Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken);
}
