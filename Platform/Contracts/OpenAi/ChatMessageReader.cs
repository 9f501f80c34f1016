using System.Text;
using System.Text.Json.Nodes;

namespace AgentCloud.Platform.Contracts;

/// <summary>
/// Validates one chat message: content as a string or text and <c>image_url</c> parts (images go upstream as sent;
/// the text the prompt is counted from leaves them out and counts each as <see cref="PromptText.ImageTokens"/>); an
/// assistant turn's <c>tool_calls</c> (its content may then be null); a <c>tool</c> turn's <c>tool_call_id</c>.
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
        var text = ReadContent(content, index, out var images, out problem);
        return text is null ? null : new ChatMessage(role, text) { ToolCalls = calls, ToolCallId = toolCallId, Images = images };
    }

    private static string? ReadContent(JsonNode? content, int index, out int images, out string? problem)
    {
        problem = null;
        images = 0;
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
            for (var i = 0; i < parts.Count; i++)
            {
                var part = parts[i] as JsonObject;
                if (part is not null && OpenAiJson.TryString(part["type"], out var type))
                {
                    if (type == "text" && OpenAiJson.TryString(part["text"], out var partText))
                    {
                        joined.Append(partText);
                        continue;
                    }
                    if (type == "image_url" && part["image_url"] is JsonObject image && OpenAiJson.TryString(image["url"], out var url) && url.Length > 0)
                    {
                        images++;
                        continue;
                    }
                }
                problem = $"'messages[{index}].content[{i}]' must be {{\"type\": \"text\", \"text\": \"...\"}} or "
                    + "{\"type\": \"image_url\", \"image_url\": {\"url\": \"https://... or data:image/...\"}}; other part types are not supported.";
                return null;
            }
            return joined.ToString();
        }
        problem = $"'messages[{index}].content' must be a string or an array of text and image_url parts.";
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
