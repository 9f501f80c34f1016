using System.Text.Json.Nodes;

namespace AgentCloud.Platform.Contracts;

/// <summary>Validates a chat-completions body; every refusal says which field is wrong and what is accepted.</summary>
public static class ChatRequestReader
{
    public static readonly IReadOnlySet<string> Roles = new HashSet<string>(StringComparer.Ordinal) { "system", "developer", "user", "assistant", "tool" };

    /// <summary>Reads <paramref name="body"/>; <paramref name="maxTokensCap"/> bounds <c>max_tokens</c>.</summary>
    public static ChatRequest? TryRead(JsonObject body, int maxTokensCap, out string? problem)
    {
        problem = null;
        if (!OpenAiJson.TryString(body["model"], out var model) || string.IsNullOrWhiteSpace(model))
        {
            problem = "'model' is required and must be a non-empty string.";
            return null;
        }
        if (body["messages"] is not JsonArray array || array.Count == 0)
        {
            problem = "'messages' is required and must be a non-empty array of {role, content} objects.";
            return null;
        }
        var messages = new List<ChatMessage>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var message = ChatMessageReader.Read(array[i], i, out problem);
            if (message is null)
            {
                return null;
            }
            messages.Add(message);
        }
        int? maxTokens = null;
        foreach (var name in new[] { "max_tokens", "max_completion_tokens" })
        {
            if (body[name] is null)
            {
                continue;
            }
            if (!OpenAiJson.TryInt(body[name], out var n) || n < 1 || n > maxTokensCap)
            {
                problem = $"'{name}' must be an integer from 1 to {maxTokensCap}.";
                return null;
            }
            maxTokens = (int)Math.Min(n, maxTokens ?? n);
        }
        var minTokens = 0L;
        if (body["min_tokens"] is not null && (!OpenAiJson.TryInt(body["min_tokens"], out minTokens) || minTokens < 0 || minTokens > maxTokensCap))
        {
            problem = $"'min_tokens' must be an integer from 0 to {maxTokensCap}.";
            return null;
        }
        var stream = false;
        if (body["stream"] is not null && !OpenAiJson.TryBool(body["stream"], out stream))
        {
            problem = "'stream' must be true or false.";
            return null;
        }
        var includeUsage = false;
        if (body["stream_options"] is JsonObject options)
        {
            if (options["include_usage"] is not null && !OpenAiJson.TryBool(options["include_usage"], out includeUsage))
            {
                problem = "'stream_options.include_usage' must be true or false.";
                return null;
            }
        }
        else if (body["stream_options"] is not null)
        {
            problem = "'stream_options' must be an object such as {\"include_usage\": true}.";
            return null;
        }
        if (body["n"] is not null && (!OpenAiJson.TryInt(body["n"], out var choices) || choices != 1))
        {
            problem = "'n' must be 1: one choice per request is supported.";
            return null;
        }
        string? salt = null;
        if (body["cache_salt"] is not null && (!OpenAiJson.TryString(body["cache_salt"], out salt!) || salt.Length == 0))
        {
            problem = "'cache_salt' must be a non-empty string.";
            return null;
        }
        if (!ChatToolsReader.TryRead(body, out var tools, out problem))
        {
            return null;
        }
        return new ChatRequest(model, messages, maxTokens, (int)minTokens, stream, includeUsage, salt, body)
        {
            Tools = tools.Tools,
            ToolChoice = tools.Choice,
            ParallelToolCalls = tools.ParallelToolCalls,
            ResponseFormat = tools.Format,
        };
    }
}
