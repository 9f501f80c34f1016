using System.Text.Json;

namespace AgentCloud.Tools.Catalog;

/// <summary>A tool as <c>tools/list</c> shows it: its platform-wide name, what it does and its JSON Schema input.</summary>
public sealed record ToolDescriptor(string Name, string Description, JsonElement InputSchema);

/// <summary>What a tool answered: text for the model, and whether it is an error the model should see.</summary>
public sealed record ToolOutcome(string Text, bool IsError)
{
    public static ToolOutcome Ok(string text) => new(text, false);

    public static ToolOutcome Error(string text) => new(text, true);
}
