using System.Text.Json;

namespace AgentCloud.Tools.Catalog;

/// <summary>Builds the small JSON Schemas of the built-in tools' inputs.</summary>
public static class Schemas
{
    /// <summary>An object schema of the given properties (name → JSON type and description), with the required ones.</summary>
    public static JsonElement Object(IReadOnlyList<string> required, params (string Name, string Type, string Description)[] properties)
    {
        var props = properties.ToDictionary(p => p.Name, p => (object)new Dictionary<string, object> { ["type"] = p.Type, ["description"] = p.Description });
        return JsonSerializer.SerializeToElement(new Dictionary<string, object>
        {
            ["type"] = "object",
            ["properties"] = props,
            ["required"] = required,
            ["additionalProperties"] = false,
        });
    }
}
