using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Usage;

namespace AgentCloud.InferenceRouter.Dispatch;

/// <summary>Reads OpenAI's <c>usage</c> object (with <c>prompt_tokens_details.cached_tokens</c>) into a tally.</summary>
internal static class UsageJson
{
    public static bool TryReport(JsonNode? usage, UsageTally tally)
    {
        if (usage is not JsonObject u || !TryLong(u["prompt_tokens"], out var prompt))
        {
            return false;
        }
        TryLong(u["completion_tokens"], out var completion);
        TryLong(u["prompt_tokens_details"]?["cached_tokens"], out var cached);
        tally.Report(prompt, cached, completion);
        return true;
    }

    /// <summary>Reads the usage of a whole answer without building a tree of it (a pooled document, read-only).</summary>
    public static bool TryReport(ReadOnlyMemory<byte> answer, UsageTally tally)
    {
        using var document = JsonDocument.Parse(answer);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object
            || !TryLong(usage, "prompt_tokens", out var prompt))
        {
            return false;
        }
        TryLong(usage, "completion_tokens", out var completion);
        var cached = 0L;
        if (usage.TryGetProperty("prompt_tokens_details", out var details) && details.ValueKind == JsonValueKind.Object)
        {
            TryLong(details, "cached_tokens", out cached);
        }
        tally.Report(prompt, cached, completion);
        return true;
    }

    private static bool TryLong(JsonElement parent, string name, out long value)
    {
        value = 0;
        return parent.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value) && value >= 0;
    }

    private static bool TryLong(JsonNode? node, out long value)
    {
        value = 0;
        return node is JsonValue v && v.TryGetValue(out value) && value >= 0;
    }
}
