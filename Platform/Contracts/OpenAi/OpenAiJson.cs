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

    internal static bool TryString(JsonNode? node, out string value)
    {
        value = "";
        return node is JsonValue v && v.TryGetValue(out value!) && value is not null;
    }

    internal static bool TryInt(JsonNode? node, out long value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out value);
    }

    internal static bool TryBool(JsonNode? node, out bool value)
    {
        value = false;
        return node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False && v.TryGetValue(out value);
    }
}
