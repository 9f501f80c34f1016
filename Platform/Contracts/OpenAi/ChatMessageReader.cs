using System.Text;
using System.Text.Json.Nodes;

namespace AgentCloud.Platform.Contracts;

/// <summary>
/// Validates one chat message: text content (a string or text parts); an assistant turn's <c>tool_calls</c> (its
/// content may then be null); a <c>tool</c> turn's <c>tool_call_id</c>.
/// </summary>
public static class ChatMessageReader
{
    public static ChatMessage? Read(JsonNode? node, int index, out string? problem)
    {
        problem = null;
        if (node is not JsonObject message)
        {
            problem = $"'messages[{index}]' must be an object with 'role' and 'content'.";
            return null;
        }
        if (!OpenAiJson.TryString(message["role"], out var role) || !ChatRequestReader.Roles.Contains(role))
        {
            problem = $"'messages[{index}].role' must be one of {string.Join(", ", ChatRequestReader.Roles)}.";
            return null;
        }
        var calls = role == "assistant" ? ReadToolCalls(message["tool_calls"], index, out problem) : [];
        if (calls is null)
        {
            return null;
        }
        string? toolCallId = null;
        if (role == "tool" && (!OpenAiJson.TryString(message["tool_call_id"], out toolCallId!) || toolCallId.Length == 0))
        {
            problem = $"'messages[{index}].tool_call_id' is required for a tool message: the id of the tool call it answers.";
            return null;
        }
        var content = message["content"];
        if (content is null && role == "assistant" && message["tool_calls"] is JsonArray)
        {
            return new ChatMessage(role, "") { ToolCalls = calls };
        }
        var text = ReadContent(content, index, out problem);
        return text is null ? null : new ChatMessage(role, text) { ToolCalls = calls, ToolCallId = toolCallId };
    }

    private static string? ReadContent(JsonNode? content, int index, out string? problem)
    {
        problem = null;
        if (content is null)
        {
            problem = $"'messages[{index}].content' is required.";
            return null;
        }
        if (OpenAiJson.TryString(content, out var text))
        {
            return text;
        }
        if (content is JsonArray parts)
        {
            var joined = new StringBuilder();
            foreach (var part in parts)
            {
                if (part is not JsonObject p || !OpenAiJson.TryString(p["type"], out var type) || type != "text" || !OpenAiJson.TryString(p["text"], out var partText))
                {
                    problem = $"'messages[{index}].content' parts must be {{\"type\": \"text\", \"text\": \"...\"}}; other part types are not supported.";
                    return null;
                }
                joined.Append(partText);
            }
            return joined.ToString();
        }
        problem = $"'messages[{index}].content' must be a string or an array of text parts.";
        return null;
    }

    private static List<ChatToolCall>? ReadToolCalls(JsonNode? node, int index, out string? problem)
    {
        problem = null;
        if (node is null)
        {
            return [];
        }
        const string shape = "{\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\": \"<JSON text>\"}}";
        if (node is not JsonArray array)
        {
            problem = $"'messages[{index}].tool_calls' must be an array of {shape} objects.";
            return null;
        }
        var calls = new List<ChatToolCall>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject call || !OpenAiJson.TryString(call["id"], out var id) || id.Length == 0
                || !OpenAiJson.TryString(call["type"], out var type) || type != "function"
                || call["function"] is not JsonObject function || !OpenAiJson.TryString(function["name"], out var name) || name.Length == 0
                || !OpenAiJson.TryString(function["arguments"], out var arguments))
            {
                problem = $"'messages[{index}].tool_calls[{i}]' must be {shape}.";
                return null;
            }
            calls.Add(new ChatToolCall(id, name, arguments));
        }
        return calls;
    }
}
