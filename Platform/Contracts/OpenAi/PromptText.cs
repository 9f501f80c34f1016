namespace AgentCloud.Platform.Contracts;

/// <summary>
/// How a chat is laid out as one text before tokenization. The InferenceRouter (context-length checks, token
/// reservations) and the ModelSimulator (usage, KV-cache blocks) render it the same way, so their token counts agree.
/// Tool definitions come first, as a model's chat template puts them in the system preamble, so a tool-using
/// agent's prompts share a cacheable prefix.
/// </summary>
public static class PromptText
{
    /// <summary>
    /// What one image part counts as: OpenAI's base cost of an image (a low-detail image is exactly this). A fixed
    /// estimate, so a prompt with images is counted without fetching or decoding them.
    /// </summary>
    public const int ImageTokens = 85;

    /// <summary>The tokens the images of <paramref name="request"/> count for, beside its rendered text.</summary>
    public static int ImageTokensOf(ChatRequest request) => request.Messages.Sum(m => m.Images) * ImageTokens;

    public static string Render(IEnumerable<ChatMessage> messages) =>
        string.Concat(messages.Select(Render));

    /// <summary>The whole prompt of <paramref name="request"/>: tools, the requested JSON schema, then the messages.</summary>
    public static string Render(ChatRequest request)
    {
        var tools = request.Tools.Count == 0 ? "" : "<tools>\n" + string.Concat(request.Tools.Select(t => t.Definition.ToJsonString() + "\n"));
        var schema = request.ResponseFormat.Schema is { } s ? $"<response_format>\n{s.ToJsonString()}\n" : "";
        return tools + schema + Render(request.Messages);
    }

    private static string Render(ChatMessage m) =>
        $"<{m.Role}>\n{m.Text}\n" + string.Concat(m.ToolCalls.Select(c => $"<tool_call>\n{c.Name} {c.Arguments}\n"));
}

/// <summary>One chat message, its content flattened to text, with the tool calls an assistant turn made.</summary>
public sealed record ChatMessage(string Role, string Text)
{
    public IReadOnlyList<ChatToolCall> ToolCalls { get; init; } = [];

    /// <summary>For a <c>tool</c> message, the id of the call it answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>How many <c>image_url</c> parts the content had (left out of <see cref="Text"/>).</summary>
    public int Images { get; init; }
}
