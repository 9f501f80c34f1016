using Microsoft.ML.Tokenizers;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>The published cl100k_base tokenizer (GPT-4's), so token counts are those a real model would report.</summary>
public sealed class SimTokenizer
{
    private readonly TiktokenTokenizer _tokenizer = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    public IReadOnlyList<int> Encode(string text) => _tokenizer.EncodeToIds(text);

    public int Count(string text) => _tokenizer.CountTokens(text);

    /// <summary>cl100k_base's <c>n_vocab</c>: ids 0 to 100276 (the last ones are its special tokens).</summary>
    public const int VocabularySize = 100_277;

    /// <summary>The text of token ids a client encoded itself; null when an id is not in the vocabulary.</summary>
    public string? TryDecode(IReadOnlyList<int> ids) => ids.All(id => id is >= 0 and < VocabularySize) ? _tokenizer.Decode(ids) : null;
}
