using AgentCloud.Platform.Contracts;
using Microsoft.ML.Tokenizers;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>A chat's prompt as rendered for the model, and the tokens it counts for (its images included).</summary>
public readonly record struct CountedPrompt(string Text, int Tokens);

/// <summary>Counts tokens with cl100k_base, the tokenizer the simulator uses, so router and upstream agree on lengths.</summary>
public sealed class PromptTokenCounter
{
    private readonly TiktokenTokenizer _tokenizer = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    public int Count(string text) => _tokenizer.CountTokens(text);

    /// <summary>
    /// A chat's prompt as the model reads it: the tool definitions and any JSON schema it must answer in count too
    /// (they are in the model's context), as do the arguments of tool calls earlier in the conversation; each image
    /// part counts <see cref="PromptText.ImageTokens"/>.
    /// </summary>
    public CountedPrompt CountPrompt(ChatRequest request)
    {
        var text = PromptText.Render(request);
        return new CountedPrompt(text, Count(text) + PromptText.ImageTokensOf(request));
    }

    /// <summary>
    /// The first <paramref name="maxTokens"/> token ids of <paramref name="text"/>. Only a bounded head of the text is
    /// read (64 characters a token, far above any real text's average), so a huge prompt costs no more than a short one.
    /// </summary>
    public IReadOnlyList<int> Leading(string text, int maxTokens) =>
        _tokenizer.EncodeToIds(text.AsSpan(0, (int)Math.Min(text.Length, 64L * maxTokens)), maxTokens, out _, out _);
}
