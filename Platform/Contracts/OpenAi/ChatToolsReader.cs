using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentCloud.Platform.Contracts;

/// <summary>
/// Validates the function-calling fields of a chat body: <c>tools</c>, <c>tool_choice</c>, <c>parallel_tool_calls</c>
/// and <c>response_format</c>. They are forwarded to the model as sent; this only refuses shapes no model could use.
/// </summary>
public static partial class ChatToolsReader
{
    /// <summary>OpenAI's function-name rule, plus '.' so MCP-style names such as <c>memory.search</c> pass.</summary>
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex FunctionName();

    public static bool TryRead(JsonObject body, out ChatToolSettings settings, out string? problem)
    {
        settings = ChatToolSettings.Default;
        var tools = ReadTools(body["tools"], out problem);
        if (tools is null)
        {
            return false;
        }
        var choice = ReadChoice(body["tool_choice"], tools, out problem);
        if (choice is null)
        {
            return false;
        }
        var parallel = true;
        if (body["parallel_tool_calls"] is not null && !OpenAiJson.TryBool(body["parallel_tool_calls"], out parallel))
        {
            problem = "'parallel_tool_calls' must be true or false.";
            return false;
        }
        var format = ReadFormat(body["response_format"], out problem);
        if (format is null)
        {
            return false;
        }
        settings = new ChatToolSettings(tools, choice, parallel, format);
        return true;
    }

    private static List<ChatTool>? ReadTools(JsonNode? node, out string? problem)
    {
        problem = null;
        if (node is null)
        {
            return [];
        }
        if (node is not JsonArray array)
        {
            problem = "'tools' must be an array of {\"type\": \"function\", \"function\": {\"name\", \"description\"?, \"parameters\"?}} objects.";
            return null;
        }
        var tools = new List<ChatTool>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject tool || !OpenAiJson.TryString(tool["type"], out var type) || type != "function")
            {
                problem = $"'tools[{i}]' must be an object with \"type\": \"function\"; other tool types are not supported.";
                return null;
            }
            if (tool["function"] is not JsonObject function || !OpenAiJson.TryString(function["name"], out var name) || !FunctionName().IsMatch(name))
            {
                problem = $"'tools[{i}].function.name' is required: 1 to 64 letters, digits, '_', '-' or '.'.";
                return null;
            }
            if (tools.Any(t => t.Name == name))
            {
                problem = $"'tools[{i}].function.name' repeats '{name}'; function names must be unique.";
                return null;
            }
            string? description = null;
            if (function["description"] is not null && !OpenAiJson.TryString(function["description"], out description!))
            {
                problem = $"'tools[{i}].function.description' must be a string.";
                return null;
            }
            var parameters = function["parameters"];
            if (parameters is not null and not JsonObject)
            {
                problem = $"'tools[{i}].function.parameters' must be a JSON Schema object such as {{\"type\": \"object\", \"properties\": {{...}}}}.";
                return null;
            }
            tools.Add(new ChatTool(name, description, parameters as JsonObject ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() }, function));
        }
        return tools;
    }

    private static ToolChoice? ReadChoice(JsonNode? node, List<ChatTool> tools, out string? problem)
    {
        problem = null;
        if (node is null)
        {
            return tools.Count > 0 ? ToolChoice.Auto : ToolChoice.None;
        }
        if (OpenAiJson.TryString(node, out var mode))
        {
            switch (mode)
            {
                case "none":
                    return ToolChoice.None;
                case "auto" when tools.Count == 0:
                    // Nothing to choose from: some clients send "auto" with an empty tool list.
                    return ToolChoice.None;
                case "required" when tools.Count == 0:
                    problem = "'tool_choice' \"required\" needs 'tools'; define at least one function.";
                    return null;
                case "auto":
                    return ToolChoice.Auto;
                case "required":
                    return new ToolChoice(ToolChoiceMode.Required);
            }
        }
        else if (node is JsonObject o && OpenAiJson.TryString(o["type"], out var type) && type == "function"
            && OpenAiJson.TryString(o["function"]?["name"], out var name))
        {
            if (tools.Any(t => t.Name == name))
            {
                return new ToolChoice(ToolChoiceMode.Function, name);
            }
            problem = tools.Count == 0
                ? $"'tool_choice' names the function '{name}' but 'tools' defines none."
                : $"'tool_choice' names the function '{name}', which 'tools' does not define; defined: {string.Join(", ", tools.Select(t => t.Name))}.";
            return null;
        }
        problem = "'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": \"...\"}}.";
        return null;
    }

    private static ResponseFormat? ReadFormat(JsonNode? node, out string? problem)
    {
        problem = null;
        if (node is null)
        {
            return ResponseFormat.Text;
        }
        var type = "";
        if (node is not JsonObject format || !OpenAiJson.TryString(format["type"], out type) || type is not ("text" or "json_object" or "json_schema"))
        {
            problem = $"'response_format.type' must be \"text\", \"json_object\" or \"json_schema\"{(type.Length > 0 ? $", not \"{type}\"" : "")}.";
            return null;
        }
        if (type == "text")
        {
            return ResponseFormat.Text;
        }
        if (type == "json_object")
        {
            return new ResponseFormat(ResponseFormatKind.JsonObject);
        }
        if (format["json_schema"] is not JsonObject spec || !OpenAiJson.TryString(spec["name"], out var name) || !FunctionName().IsMatch(name))
        {
            problem = "'response_format.json_schema' is required for \"json_schema\": {\"name\": \"...\", \"schema\": {...}} (name: 1 to 64 letters, digits, '_', '-' or '.').";
            return null;
        }
        if (spec["schema"] is not null and not JsonObject)
        {
            problem = "'response_format.json_schema.schema' must be a JSON Schema object.";
            return null;
        }
        return new ResponseFormat(ResponseFormatKind.JsonSchema, spec["schema"] as JsonObject ?? new JsonObject { ["type"] = "object" });
    }
}

/// <summary>The function-calling settings of one chat request.</summary>
public sealed record ChatToolSettings(IReadOnlyList<ChatTool> Tools, ToolChoice Choice, bool ParallelToolCalls, ResponseFormat Format)
{
    public static readonly ChatToolSettings Default = new([], ToolChoice.None, true, ResponseFormat.Text);
}
