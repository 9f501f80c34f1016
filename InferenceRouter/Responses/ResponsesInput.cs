using AgentCloud.Platform.Contracts;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentCloud.InferenceRouter.Responses;

/// <summary>
/// Turns a Responses API <c>input</c> (and <c>instructions</c>) into chat-completions <c>messages</c>: message items
/// keep their role (<c>developer</c> becomes <c>system</c>, which every chat upstream knows); <c>function_call</c>
/// items become an assistant turn's <c>tool_calls</c> (consecutive calls, and the assistant text just before them,
/// share one turn, as a chat template expects); <c>function_call_output</c> items become <c>tool</c> messages.
/// </summary>
internal static class ResponsesInput
{
    private static readonly HashSet<string> Roles = ["user", "system", "developer", "assistant"];

    public static JsonArray ToMessages(JsonNode? input, string? instructions)
    {
        var messages = new JsonArray();
        if (instructions is not null)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = instructions });
        }
        if (OpenAiJson.TryString(input, out var text))
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = text });
            return messages;
        }
        if (input is not JsonArray items || items.Count == 0)
        {
            throw new ResponsesRequestException("'input' is required: a string, or a non-empty array of message, function_call and function_call_output items.");
        }
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonObject item)
            {
                throw new ResponsesRequestException($"'input[{i}]' must be an object such as {{\"role\": \"user\", \"content\": \"...\"}}.");
            }
            var type = OpenAiJson.TryString(item["type"], out var t) ? t : item["role"] is not null ? "message" : "";
            switch (type)
            {
                case "message":
                    messages.Add(Message(item, i));
                    break;
                case "function_call":
                    AddToolCall(messages, item, i);
                    break;
                case "function_call_output":
                    messages.Add(new JsonObject
                    {
                        ["role"] = "tool",
                        ["tool_call_id"] = Required(item, "call_id", i),
                        ["content"] = Output(item["output"], i),
                    });
                    break;
                case "item_reference":
                    throw new ResponsesRequestException($"'input[{i}]' is an item_reference, but responses are not stored here (stateless only): send the item itself.");
                default:
                    throw new ResponsesRequestException(
                        $"'input[{i}].type' '{type}' is not supported; input items may be message, function_call or function_call_output.");
            }
        }
        return messages;
    }

    private static JsonObject Message(JsonObject item, int i)
    {
        if (!OpenAiJson.TryString(item["role"], out var role) || !Roles.Contains(role))
        {
            throw new ResponsesRequestException($"'input[{i}].role' must be one of user, system, developer, assistant.");
        }
        var content = Content(item["content"], i, out var hasImages);
        if (role == "assistant" && hasImages)
        {
            throw new ResponsesRequestException($"'input[{i}].content' of an assistant message cannot hold images.");
        }
        return new JsonObject { ["role"] = role == "developer" ? "system" : role, ["content"] = content };
    }

    /// <summary>Plain text as a string; with images, chat content parts (text and image_url).</summary>
    private static JsonNode Content(JsonNode? content, int i, out bool hasImages)
    {
        hasImages = false;
        if (OpenAiJson.TryString(content, out var text))
        {
            return text;
        }
        if (content is not JsonArray parts)
        {
            throw new ResponsesRequestException($"'input[{i}].content' must be a string or an array of input_text, output_text and input_image parts.");
        }
        var chatParts = new JsonArray();
        for (var j = 0; j < parts.Count; j++)
        {
            var part = parts[j] as JsonObject;
            var type = part is not null && OpenAiJson.TryString(part["type"], out var t) ? t : "";
            if (type is "input_text" or "output_text" && OpenAiJson.TryString(part!["text"], out var partText))
            {
                chatParts.Add(new JsonObject { ["type"] = "text", ["text"] = partText });
            }
            else if (type == "refusal" && OpenAiJson.TryString(part!["refusal"], out var refusal))
            {
                chatParts.Add(new JsonObject { ["type"] = "text", ["text"] = refusal });
            }
            else if (type == "input_image")
            {
                chatParts.Add(Image(part!, i, j));
                hasImages = true;
            }
            else
            {
                throw new ResponsesRequestException(
                    $"'input[{i}].content[{j}]' must be {{\"type\": \"input_text\", \"text\": \"...\"}}, output_text, or input_image with an image_url; '{type}' parts are not supported.");
            }
        }
        if (hasImages)
        {
            return chatParts;
        }
        return string.Concat(chatParts.Select(p => p!["text"]!.GetValue<string>()));
    }

    private static JsonObject Image(JsonObject part, int i, int j)
    {
        if (!OpenAiJson.TryString(part["image_url"], out var url) || url.Length == 0)
        {
            throw new ResponsesRequestException(
                $"'input[{i}].content[{j}].image_url' is required: an https or data: URL (file_id images need file storage, which this API does not have).");
        }
        var image = new JsonObject { ["url"] = url };
        if (OpenAiJson.TryString(part["detail"], out var detail))
        {
            image["detail"] = detail;
        }
        return new JsonObject { ["type"] = "image_url", ["image_url"] = image };
    }

    /// <summary>Joins a call to the assistant turn just before it, or starts one.</summary>
    private static void AddToolCall(JsonArray messages, JsonObject item, int i)
    {
        var call = new JsonObject
        {
            ["id"] = Required(item, "call_id", i),
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = Required(item, "name", i), ["arguments"] = Arguments(item, i) },
        };
        if (messages.Count > 0 && messages[^1] is JsonObject last && last["role"]?.GetValue<string>() == "assistant")
        {
            if (last["tool_calls"] is not JsonArray calls)
            {
                last["tool_calls"] = calls = [];
            }
            calls.Add(call);
            return;
        }
        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = new JsonArray(call) });
    }

    private static string Arguments(JsonObject item, int i) =>
        OpenAiJson.TryString(item["arguments"], out var arguments)
            ? arguments
            : throw new ResponsesRequestException($"'input[{i}].arguments' is required: the call's arguments as JSON text.");

    private static string Required(JsonObject item, string field, int i) =>
        OpenAiJson.TryString(item[field], out var value) && value.Length > 0
            ? value
            : throw new ResponsesRequestException($"'input[{i}].{field}' is required and must be a non-empty string.");

    /// <summary>A tool's output: a string, or text parts joined.</summary>
    private static string Output(JsonNode? output, int i)
    {
        if (OpenAiJson.TryString(output, out var text))
        {
            return text;
        }
        if (output is JsonArray parts)
        {
            var joined = new StringBuilder();
            foreach (var part in parts)
            {
                if (part is not JsonObject p || !OpenAiJson.TryString(p["text"], out var partText))
                {
                    throw new ResponsesRequestException($"'input[{i}].output' parts must be input_text parts; other kinds are not supported.");
                }
                joined.Append(partText);
            }
            return joined.ToString();
        }
        throw new ResponsesRequestException($"'input[{i}].output' is required: the tool's result as a string.");
    }
}
