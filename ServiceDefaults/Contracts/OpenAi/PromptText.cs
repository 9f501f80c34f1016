namespace AgentCloud.ServiceDefaults.Contracts;

/// <summary>
/// How a chat is laid out as one text before tokenization. The InferenceRouter (context-length checks) and the
/// ModelSimulator (usage, KV-cache blocks) render it the same way, so their token counts agree.
/// </summary>
public static class PromptText
{
    public static string Render(IEnumerable<ChatMessage> messages) =>
        string.Concat(messages.Select(m => $"<{m.Role}>\n{m.Text}\n"));
}

/// <summary>One chat message, its content flattened to text.</summary>
public sealed record ChatMessage(string Role, string Text);
