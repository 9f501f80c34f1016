using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.Platform.Contracts;

/// <summary>Reads an OpenAI-style JSON body strictly: malformed JSON and duplicate keys are refused, never guessed at.</summary>
public static class OpenAiJson
{
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    /// <summary>The body as a JSON object, or null with the reason a person can act on.</summary>
    public static async Task<(JsonObject? Body, string? Problem)> ReadObjectAsync(Stream body, CancellationToken cancellationToken)
    {
        try
        {
            var node = await JsonNode.ParseAsync(body, documentOptions: Strict, cancellationToken: cancellationToken);
            return node is JsonObject obj ? (obj, null) : (null, "The body must be a JSON object.");
        }
        catch (JsonException e)
        {
            return (null, $"The body is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Typed reads that refuse the wrong kind: a number in quotes is not a number.</summary>
    public static bool TryString(JsonNode? node, out string value)
    {
        value = "";
        return node is JsonValue v && v.TryGetValue(out value!) && value is not null;
    }

    public static bool TryInt(JsonNode? node, out long value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out value);
    }

    public static bool TryBool(JsonNode? node, out bool value)
    {
        value = false;
        return node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False && v.TryGetValue(out value);
    }

    public static bool TryNumber(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out value);
    }

    /// <summary>True for an absent field or an explicit JSON null.</summary>
    public static bool IsAbsentOrNull(JsonObject obj, string name) => !obj.TryGetPropertyValue(name, out var node) || node is null;
}
