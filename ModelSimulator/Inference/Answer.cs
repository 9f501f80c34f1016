using System.Text.RegularExpressions;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>
/// One step of generation: some content text, the start of a tool call (its name), or a fragment of a tool call's
/// arguments; <see cref="Tokens"/> is what it costs in completion tokens and in time per output token.
/// </summary>
public sealed record AnswerPiece(string Text, int Tokens, int ToolIndex = -1, bool ToolCallStart = false)
{
    public bool IsContent => ToolIndex < 0;
}

/// <summary>A tool call the model makes; its id is derived from the prompt, so the same prompt calls with the same ids.</summary>
public sealed record PlannedToolCall(string Id, string Name, string Arguments);

/// <summary>
/// What the model will say, planned before the first token: pieces in the order they are produced, the tool calls
/// they spell out, and whether <c>max_tokens</c> cut it short.
/// </summary>
public sealed partial record Answer(IReadOnlyList<AnswerPiece> Pieces, IReadOnlyList<PlannedToolCall> ToolCalls, bool Truncated)
{
    // A run of word characters or of punctuation, with the spaces before it: about one token each.
    [GeneratedRegex(@"\s*(?:[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]+)|\s+")]
    private static partial Regex Fragment();

    public int CompletionTokens => Pieces.Sum(p => p.Tokens);

    public string FinishReason => Truncated ? "length" : ToolCalls.Count > 0 ? "tool_calls" : "stop";

    /// <summary>The content text as produced so far; null when the model answered only with tool calls.</summary>
    public string? Content => ToolCalls.Count > 0 ? null : string.Concat(Pieces.Where(p => p.IsContent).Select(p => p.Text));

    /// <summary>The tool calls whose start was produced, each with the arguments produced (all of them unless truncated).</summary>
    public IReadOnlyList<PlannedToolCall> ProducedToolCalls =>
        ToolCalls.Select((c, i) => (Call: c, Index: i))
            .Where(c => Pieces.Any(p => p.ToolIndex == c.Index && p.ToolCallStart))
            .Select(c => c.Call with { Arguments = string.Concat(Pieces.Where(p => p.ToolIndex == c.Index && !p.ToolCallStart).Select(p => p.Text)) })
            .ToList();

    public static Answer FromProse(TextGenerator.Plan plan) =>
        new(TextGenerator.Tokens(plan).Select(t => new AnswerPiece(t, 1)).ToList(), [], plan.Truncated);

    /// <summary><paramref name="text"/> split into pieces of about a token, each costed by the tokenizer.</summary>
    public static IEnumerable<AnswerPiece> Split(string text, SimTokenizer tokenizer, int toolIndex = -1) =>
        Fragment().Matches(text).Select(m => new AnswerPiece(m.Value, tokenizer.Count(m.Value), toolIndex));

    /// <summary>Keeps the pieces that fit in <paramref name="maxTokens"/>, as a model stops at its limit.</summary>
    public Answer Cut(int? maxTokens)
    {
        if (maxTokens is not { } max || CompletionTokens <= max)
        {
            return this;
        }
        var kept = new List<AnswerPiece>();
        var used = 0;
        foreach (var piece in Pieces)
        {
            if (used + piece.Tokens > max)
            {
                break;
            }
            kept.Add(piece);
            used += piece.Tokens;
        }
        return this with { Pieces = kept, Truncated = true };
    }
}
