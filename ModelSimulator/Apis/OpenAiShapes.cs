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

/// <summary>The answer's message: content is null (and written as null) when the model answered with tool calls.</summary>
public sealed record AssistantMessage(string Role, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Content, IReadOnlyList<ToolCallShape>? ToolCalls = null);

public sealed record ToolCallShape(string Id, string Type, FunctionCallShape Function);

public sealed record FunctionCallShape(string Name, string Arguments);

/// <summary>A streamed tool call: the first delta of a call has its id, type and name (arguments ""), later ones argument fragments.</summary>
public sealed record ToolCallDelta(int Index, string? Id = null, string? Type = null, FunctionDelta? Function = null);

public sealed record FunctionDelta(string? Name = null, string? Arguments = null);

public sealed record Choice(int Index, AssistantMessage Message, string FinishReason);

public sealed record ChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<Choice> Choices, Usage Usage, SimulatorReport Simulator);

public sealed record Delta(string? Role = null, string? Content = null, IReadOnlyList<ToolCallDelta>? ToolCalls = null);

public sealed record ChunkChoice(int Index, Delta Delta, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);

public sealed record ChatCompletionChunk(string Id, string Object, long Created, string Model, IReadOnlyList<ChunkChoice> Choices, Usage? Usage = null, SimulatorReport? Simulator = null);

public sealed record EmbeddingItem(string Object, int Index, float[] Embedding);

public sealed record EmbeddingList(string Object, IReadOnlyList<EmbeddingItem> Data, string Model, Usage Usage);
