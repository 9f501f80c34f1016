using Microsoft.ML.Tokenizers;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>The published cl100k_base tokenizer (GPT-4's), so token counts are those a real model would report.</summary>
public sealed class SimTokenizer
{
    private readonly TiktokenTokenizer _tokenizer = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    public IReadOnlyList<int> Encode(string text) => _tokenizer.EncodeToIds(text);

    public int Count(string text) => _tokenizer.CountTokens(text);
}
