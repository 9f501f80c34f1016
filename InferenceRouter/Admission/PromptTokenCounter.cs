using Microsoft.ML.Tokenizers;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>Counts tokens with cl100k_base, the tokenizer the simulator uses, so router and upstream agree on lengths.</summary>
public sealed class PromptTokenCounter
{
    private readonly TiktokenTokenizer _tokenizer = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    public int Count(string text) => _tokenizer.CountTokens(text);
}
