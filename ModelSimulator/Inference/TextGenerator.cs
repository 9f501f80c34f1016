using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>
/// Deterministic output: the same model and prompt always give the same words. Every word is one cl100k token
/// (a common English word with its leading space), so the answer has exactly as many tokens as words.
/// </summary>
public sealed class TextGenerator
{
    public const int MinNaturalLength = 8;
    public const int MaxNaturalLength = 64;

    private static readonly string[] Words =
    [
        " the", " model", " answer", " is", " a", " simple", " response", " to", " your", " request", " with", " words",
        " from", " this", " server", " and", " it", " has", " no", " meaning", " beyond", " being", " stable", " for",
        " tests", " of", " routing", " cache", " time", " each", " word", " one", " token", " here", " we", " go",
        " again", " more", " text", " that", " will", " be", " same", " every", " run", " on", " input", " data",
    ];

    public sealed record Plan(ulong Seed, int Length, bool Truncated);

    /// <summary>How many tokens to produce: the prompt's natural length, at least <paramref name="minTokens"/>, at most <paramref name="maxTokens"/>.</summary>
    public static Plan PlanFor(string model, string prompt, int? maxTokens, int minTokens)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(model + "\n" + prompt));
        var seed = BinaryPrimitives.ReadUInt64LittleEndian(hash);
        var natural = Math.Max(MinNaturalLength + (int)(seed % (MaxNaturalLength - MinNaturalLength + 1)), minTokens);
        return maxTokens is { } max && max < natural ? new Plan(seed, max, true) : new Plan(seed, natural, false);
    }

    public static IEnumerable<string> Tokens(Plan plan)
    {
        var state = plan.Seed | 1;
        for (var i = 0; i < plan.Length; i++)
        {
            // xorshift64: cheap, deterministic, good enough to vary the words.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            yield return Words[(int)(state % (ulong)Words.Length)];
        }
    }
}
