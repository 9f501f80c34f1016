using System.Text;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>
/// Deterministic embeddings that carry some meaning: each word (and, more weakly, each of its letter trigrams) is
/// hashed into a signed dimension, and the vector is normalised to length 1. Texts sharing words therefore have a
/// higher cosine similarity than unrelated texts, which is enough to test vector search.
/// </summary>
public static class Embedder
{
    private const float WordWeight = 1f;
    private const float TrigramWeight = 0.25f;

    public static float[] Embed(string text, int dimensions)
    {
        var vector = new float[dimensions];
        var words = Words(text).ToList();
        if (words.Count == 0)
        {
            words.Add(text);
        }
        foreach (var word in words)
        {
            Add(vector, "w:" + word, WordWeight);
            var padded = $"#{word}#";
            for (var i = 0; i + 3 <= padded.Length; i++)
            {
                Add(vector, string.Concat("t:", padded.AsSpan(i, 3)), TrigramWeight);
            }
        }
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] /= norm;
        }
        return vector;
    }

    public static double Cosine(IReadOnlyList<float> a, IReadOnlyList<float> b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    private static IEnumerable<string> Words(string text)
    {
        var word = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLowerInvariant(c));
            }
            else if (word.Length > 0)
            {
                yield return word.ToString();
                word.Clear();
            }
        }
        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }

    private static void Add(float[] vector, string feature, float weight)
    {
        // FNV-1a: stable across processes, unlike string.GetHashCode.
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(feature))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        vector[(int)(hash % (ulong)vector.Length)] += (hash >> 63) == 0 ? weight : -weight;
    }
}
