using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentCloud.ModelSimulator.Apis;

/// <summary>The OpenAI wire shapes the simulator answers with (snake_case).</summary>
public static class OpenAiShapes
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens, PromptTokensDetails? PromptTokensDetails = null);

public sealed record PromptTokensDetails(int CachedTokens);

/// <summary>What the simulator says about its own work, beyond OpenAI's shape: which instance, and the modelled time to first token.</summary>
public sealed record SimulatorReport(string Instance, double TtftMs, double QueueMs);

public sealed record AssistantMessage(string Role, string Content);

public sealed record Choice(int Index, AssistantMessage Message, string FinishReason);

public sealed record ChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<Choice> Choices, Usage Usage, SimulatorReport Simulator);

public sealed record Delta(string? Role = null, string? Content = null);

public sealed record ChunkChoice(int Index, Delta Delta, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);

public sealed record ChatCompletionChunk(string Id, string Object, long Created, string Model, IReadOnlyList<ChunkChoice> Choices, Usage? Usage = null, SimulatorReport? Simulator = null);

public sealed record EmbeddingItem(string Object, int Index, float[] Embedding);

public sealed record EmbeddingList(string Object, IReadOnlyList<EmbeddingItem> Data, string Model, Usage Usage);
