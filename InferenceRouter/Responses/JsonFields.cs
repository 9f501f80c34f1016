using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.InferenceRouter.Responses;

/// <summary>Typed reads of JSON fields that refuse the wrong kind (a number in quotes is not a number).</summary>
internal static class JsonFields
{
    public static bool IsString(JsonNode? node, out string value)
    {
        value = "";
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.TryGetValue(out value!);
    }

    public static bool IsNumber(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out value);
    }

    public static bool IsInteger(JsonNode? node, out long value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out value);
    }

    public static bool IsBool(JsonNode? node, out bool value)
    {
        value = false;
        return node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False && v.TryGetValue(out value);
    }

    /// <summary>True for an absent field or an explicit JSON null.</summary>
    public static bool IsNull(JsonObject obj, string name) => !obj.TryGetPropertyValue(name, out var node) || node is null;
}

/// <summary>A request the Responses API cannot serve, with the reason a person can act on.</summary>
internal sealed class ResponsesRequestException(string problem) : Exception(problem);
