using AgentCloud.Platform.Contracts;
using System.Text.Json.Nodes;

namespace AgentCloud.InferenceRouter.Responses;

/// <summary>
/// The Responses API's <c>tools</c>, <c>tool_choice</c> and <c>text.format</c> in their chat-completions shapes.
/// Only function tools exist here: a built-in tool (web_search, file_search, code_interpreter...) needs a service
/// behind it that the platform does not run, so it is refused by name rather than silently dropped.
/// </summary>
internal static class ResponsesTools
{
    public static JsonArray ToChatTools(JsonNode? tools)
    {
        if (tools is not JsonArray array)
        {
            throw new ResponsesRequestException("'tools' must be an array of {\"type\": \"function\", \"name\", \"parameters\"} objects.");
        }
        var chatTools = new JsonArray();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject tool || !OpenAiJson.TryString(tool["type"], out var type))
            {
                throw new ResponsesRequestException($"'tools[{i}]' must be an object with a 'type'; only \"function\" tools are supported.");
            }
            if (type != "function")
            {
                throw new ResponsesRequestException($"'tools[{i}].type' '{type}' is a built-in tool this platform does not offer; only \"function\" tools are supported.");
            }
            if (!OpenAiJson.TryString(tool["name"], out var name) || name.Length == 0)
            {
                throw new ResponsesRequestException($"'tools[{i}].name' is required: the function's name.");
            }
            var function = new JsonObject { ["name"] = name };
            foreach (var field in new[] { "description", "parameters", "strict" })
            {
                if (!OpenAiJson.IsAbsentOrNull(tool, field))
                {
                    function[field] = tool[field]!.DeepClone();
                }
            }
            chatTools.Add(new JsonObject { ["type"] = "function", ["function"] = function });
        }
        return chatTools;
    }

    public static JsonNode ToChatToolChoice(JsonNode choice)
    {
        if (OpenAiJson.TryString(choice, out var mode))
        {
            return mode is "auto" or "none" or "required"
                ? mode
                : throw new ResponsesRequestException("'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"name\": \"...\"}.");
        }
        if (choice is JsonObject named && OpenAiJson.TryString(named["type"], out var type))
        {
            if (type == "function" && OpenAiJson.TryString(named["name"], out var name) && name.Length > 0)
            {
                return new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = name } };
            }
            throw new ResponsesRequestException(
                $"'tool_choice.type' '{type}' is not supported: name a function tool as {{\"type\": \"function\", \"name\": \"...\"}}.");
        }
        throw new ResponsesRequestException("'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"name\": \"...\"}.");
    }

    /// <summary>The chat <c>response_format</c> for <c>text</c>; null for plain text.</summary>
    public static JsonObject? ToResponseFormat(JsonNode text)
    {
        if (text is not JsonObject obj)
        {
            throw new ResponsesRequestException("'text' must be an object such as {\"format\": {\"type\": \"json_object\"}}.");
        }
        foreach (var (field, _) in obj)
        {
            if (field is not ("format" or "verbosity"))
            {
                throw new ResponsesRequestException($"'text.{field}' is not supported; 'text' may hold 'format'.");
            }
        }
        if (OpenAiJson.IsAbsentOrNull(obj, "format"))
        {
            return null;
        }
        if (obj["format"] is not JsonObject format || !OpenAiJson.TryString(format["type"], out var type))
        {
            throw new ResponsesRequestException("'text.format' must be an object with a 'type': text, json_object or json_schema.");
        }
        switch (type)
        {
            case "text":
                return null;
            case "json_object":
                return new JsonObject { ["type"] = "json_object" };
            case "json_schema":
                if (format["schema"] is not JsonObject schema)
                {
                    throw new ResponsesRequestException("'text.format.schema' is required for json_schema: the JSON Schema the answer must match.");
                }
                var jsonSchema = new JsonObject
                {
                    ["name"] = OpenAiJson.TryString(format["name"], out var name) && name.Length > 0 ? name : "response",
                    ["schema"] = schema.DeepClone(),
                };
                foreach (var field in new[] { "strict", "description" })
                {
                    if (!OpenAiJson.IsAbsentOrNull(format, field))
                    {
                        jsonSchema[field] = format[field]!.DeepClone();
                    }
                }
                return new JsonObject { ["type"] = "json_schema", ["json_schema"] = jsonSchema };
            default:
                throw new ResponsesRequestException($"'text.format.type' '{type}' is not supported; use text, json_object or json_schema.");
        }
    }
}
