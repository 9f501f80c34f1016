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

    private static bool TryLong(JsonNode? node, out long value)
    {
        value = 0;
        return node is JsonValue v && v.TryGetValue(out value) && value >= 0;
    }
}
