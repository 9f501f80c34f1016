using System.Text.Json.Nodes;

namespace AgentCloud.Platform.Contracts;

/// <summary>A function the model may call: its name, what it does, and the JSON schema of its arguments.</summary>
public sealed record ChatTool(string Name, string? Description, JsonObject Parameters, JsonObject Definition);

/// <summary>A call the assistant made earlier in the conversation; <see cref="Arguments"/> is the JSON text it sent.</summary>
public sealed record ChatToolCall(string Id, string Name, string Arguments);

public enum ToolChoiceMode
{
    /// <summary>The model decides (OpenAI's default when tools are given).</summary>
    Auto,

    /// <summary>The model never calls a tool (the default without tools).</summary>
    None,

    /// <summary>The model must call at least one tool.</summary>
    Required,

    /// <summary>The model must call <see cref="ToolChoice.Function"/>.</summary>
    Function,
}

/// <summary>The request's <c>tool_choice</c>, resolved against its tools.</summary>
public sealed record ToolChoice(ToolChoiceMode Mode, string? Function = null)
{
    public static readonly ToolChoice Auto = new(ToolChoiceMode.Auto);
    public static readonly ToolChoice None = new(ToolChoiceMode.None);
}

public enum ResponseFormatKind
{
    Text,
    JsonObject,
    JsonSchema,
}

/// <summary>The request's <c>response_format</c>; <see cref="Schema"/> is set for <c>json_schema</c>.</summary>
public sealed record ResponseFormat(ResponseFormatKind Kind, JsonObject? Schema = null)
{
    public static readonly ResponseFormat Text = new(ResponseFormatKind.Text);
}
