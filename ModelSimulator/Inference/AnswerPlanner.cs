using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>
/// Decides what a chat answers, deterministically from its request: tool calls (see <see cref="ToolSelection"/>),
/// else JSON when <c>response_format</c> asks for it, else prose, which after a tool result first repeats that result.
/// <c>max_tokens</c> (else what is left of the context) cuts every kind; <c>min_tokens</c> lengthens only prose.
/// </summary>
public sealed class AnswerPlanner(SimTokenizer tokenizer)
{
    private const int MaxQuotedResult = 400;

    public Answer Plan(ChatRequest request, string prompt, int contextLeft)
    {
        var limit = request.MaxTokens ?? contextLeft;
        var lastUser = request.Messages.LastOrDefault(m => m.Role == "user")?.Text ?? "";
        var tools = ToolSelection.Choose(request);
        if (tools.Count > 0)
        {
            return ToolCalls(request.Model, prompt, tools, lastUser).Cut(limit);
        }
        var natural = TextGenerator.PlanFor(request.Model, prompt, null, request.MinTokens);
        var words = string.Concat(TextGenerator.Tokens(natural));
        switch (request.ResponseFormat.Kind)
        {
            case ResponseFormatKind.JsonObject:
                return Text(new JsonObject { ["answer"] = words.Trim() }.ToJsonString()).Cut(limit);
            case ResponseFormatKind.JsonSchema:
                return Text(SchemaInstance.Create(request.ResponseFormat.Schema!, lastUser)?.ToJsonString() ?? "null").Cut(limit);
        }
        var results = ToolResults(request.Messages);
        return results.Length == 0
            ? Answer.FromProse(TextGenerator.PlanFor(request.Model, prompt, request.MaxTokens, request.MinTokens))
            : Text(results.TrimEnd() + words).Cut(limit);
    }

    private Answer Text(string text) => new(Answer.Split(text, tokenizer).ToList(), [], false);

    private Answer ToolCalls(string model, string prompt, IReadOnlyList<ChatTool> tools, string lastUser)
    {
        var calls = new List<PlannedToolCall>();
        var pieces = new List<AnswerPiece>();
        for (var i = 0; i < tools.Count; i++)
        {
            var arguments = SchemaInstance.Create(tools[i].Parameters, lastUser)?.ToJsonString() ?? "{}";
            calls.Add(new PlannedToolCall(CallId(model, prompt, i), tools[i].Name, arguments));
            pieces.Add(new AnswerPiece(tools[i].Name, tokenizer.Count(tools[i].Name), i, ToolCallStart: true));
            pieces.AddRange(Answer.Split(arguments, tokenizer, i));
        }
        return new Answer(pieces, calls, false);
    }

    /// <summary>The results of the tool calls the model made last (the tool messages since then), quoted for the answer.</summary>
    private static string ToolResults(IReadOnlyList<ChatMessage> messages)
    {
        var trailing = messages.Reverse().TakeWhile(m => m.Role == "tool").Reverse().ToList();
        var names = messages.SelectMany(m => m.ToolCalls).GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.Last().Name);
        var text = new StringBuilder();
        foreach (var result in trailing)
        {
            var name = result.ToolCallId is { } id && names.TryGetValue(id, out var n) ? n : "the tool";
            var quoted = result.Text.Length > MaxQuotedResult ? result.Text[..MaxQuotedResult] + "…" : result.Text;
            text.Append(CultureInfo.InvariantCulture, $"The result of {name} is: {quoted.Trim()}. ");
        }
        return text.ToString();
    }

    private static string CallId(string model, string prompt, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{model}\n{prompt}\n{index}"));
        return "call_" + Convert.ToHexStringLower(hash)[..24];
    }
}
