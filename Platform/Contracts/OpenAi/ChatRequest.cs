using System.Text.Json.Nodes;

namespace AgentCloud.Platform.Contracts;

/// <summary>
/// An OpenAI-compatible <c>POST /v1/chat/completions</c> body, validated. <see cref="Body"/> keeps every field the
/// client sent (temperature, tools...) so a proxy can forward what it does not interpret.
/// </summary>
public sealed record ChatRequest(
    string Model,
    IReadOnlyList<ChatMessage> Messages,
    int? MaxTokens,
    int MinTokens,
    bool Stream,
    bool IncludeUsage,
    string? CacheSalt,
    JsonObject Body)
{
    /// <summary>The functions the model may call (<c>tools</c>), in the order given.</summary>
    public IReadOnlyList<ChatTool> Tools { get; init; } = [];

    /// <summary><c>tool_choice</c>: <c>auto</c> when tools are given and it is absent, else <c>none</c>.</summary>
    public ToolChoice ToolChoice { get; init; } = ToolChoice.None;

    /// <summary><c>parallel_tool_calls</c>, true unless the client said false.</summary>
    public bool ParallelToolCalls { get; init; } = true;

    public ResponseFormat ResponseFormat { get; init; } = ResponseFormat.Text;
}
