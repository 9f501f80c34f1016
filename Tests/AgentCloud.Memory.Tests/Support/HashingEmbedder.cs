using AgentCloud.Memory.Embeddings;

namespace AgentCloud.Memory.Tests.Support;

/// <summary>A deterministic stand-in for the router's embeddings: bag of words hashed into buckets, L2-normalised.</summary>
public sealed class HashingEmbedder(int dimension = 256) : ITextEmbedder
{
    public int Dimension => dimension;

    public int Calls { get; private set; }

    public Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        Calls++;
        return Task.FromResult<IReadOnlyList<float[]>>([.. texts.Select(Embed)]);
    }

    public float[] Embed(string text)
    {
        var v = new float[dimension];
        foreach (var word in text.ToLowerInvariant().Split(Separators, StringSplitOptions.RemoveEmptyEntries))
        {
            v[Fnv1a(word) % (uint)dimension] += 1;
        }
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        if (norm == 0)
        {
            v[0] = 1;
            return v;
        }
        return [.. v.Select(x => x / norm)];
    }

    private static uint Fnv1a(string word)
    {
        var hash = 2166136261u;
        foreach (var c in word)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash;
    }

    private static readonly char[] Separators = [' ', ',', '.', ';', ':', '!', '?', '-', '\n', '\t', '"', '\''];
}
