using AgentCloud.Platform.Contracts;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>
/// Which functions a small, literal model calls. <c>none</c>: never. A named function: that one. <c>required</c>:
/// the tools the last user message names, else the first tool. <c>auto</c>: the tools the last user message names,
/// but only while that message is the latest turn (after a tool result the model answers in prose). Without
/// <c>parallel_tool_calls</c> only the first of them.
/// </summary>
public static class ToolSelection
{
    public static IReadOnlyList<ChatTool> Choose(ChatRequest request)
    {
        var choice = request.ToolChoice;
        if (request.Tools.Count == 0 || choice.Mode == ToolChoiceMode.None)
        {
            return [];
        }
        if (choice.Mode == ToolChoiceMode.Function)
        {
            return request.Tools.Where(t => t.Name == choice.Function).ToList();
        }
        var lastUser = request.Messages.LastOrDefault(m => m.Role == "user")?.Text ?? "";
        var named = request.Tools
            .Select(t => (Tool: t, At: NamedAt(lastUser, t.Name)))
            .Where(t => t.At >= 0)
            .OrderBy(t => t.At)
            .Select(t => t.Tool)
            .ToList();
        if (choice.Mode == ToolChoiceMode.Required && named.Count == 0)
        {
            named.Add(request.Tools[0]);
        }
        if (choice.Mode == ToolChoiceMode.Auto && request.Messages.LastOrDefault(m => m.Role is not ("system" or "developer"))?.Role != "user")
        {
            return [];
        }
        return request.ParallelToolCalls ? named : named.Take(1).ToList();
    }

    /// <summary>Where <paramref name="name"/> first appears in <paramref name="text"/> as a whole word (any case), or -1.</summary>
    public static int NamedAt(string text, string name)
    {
        for (var at = text.IndexOf(name, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(name, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            var end = at + name.Length;
            if ((at == 0 || !IsWordChar(text[at - 1])) && (end == text.Length || !IsWordChar(text[end])))
            {
                return at;
            }
        }
        return -1;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
