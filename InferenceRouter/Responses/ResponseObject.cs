using AgentCloud.Platform.Contracts;
using System.Text.Json.Nodes;

namespace AgentCloud.InferenceRouter.Responses;

/// <summary>
/// The Responses API's JSON shapes: the Response object (its fields in OpenAI's order, the request's settings echoed)
/// and its output items. Ids are <c>resp_</c>, <c>msg_</c> and <c>fc_</c> with 32 random hex digits.
/// </summary>
public static class ResponseObject
{
    public static string NewId(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N");

    /// <summary>A Response; <paramref name="status"/> is in_progress, completed, incomplete or failed.</summary>
    public static JsonObject Create(string id, long createdAt, string model, JsonObject echo, string status, JsonArray output,
        JsonObject? usage = null, string? incompleteReason = null, JsonObject? error = null)
    {
        var response = new JsonObject
        {
            ["id"] = id,
            ["object"] = "response",
            ["created_at"] = createdAt,
            ["status"] = status,
            ["background"] = false,
            ["error"] = error,
            ["incomplete_details"] = incompleteReason is null ? null : new JsonObject { ["reason"] = incompleteReason },
            ["model"] = model,
            ["output"] = output,
            ["previous_response_id"] = null,
            ["reasoning"] = new JsonObject { ["effort"] = null, ["summary"] = null },
            // Never stored, whatever the request said: there is no GET /v1/responses/{id} here.
            ["store"] = false,
            ["truncation"] = "disabled",
            ["usage"] = usage,
        };
        foreach (var (field, value) in echo)
        {
            response[field] = value?.DeepClone();
        }
        return response;
    }

    public static JsonObject Message(string id, string status, string? text) => new()
    {
        ["id"] = id,
        ["type"] = "message",
        ["status"] = status,
        ["role"] = "assistant",
        ["content"] = text is null ? new JsonArray() : new JsonArray(OutputText(text)),
    };

    public static JsonObject OutputText(string text) => new()
    {
        ["type"] = "output_text",
        ["text"] = text,
        ["annotations"] = new JsonArray(),
        ["logprobs"] = new JsonArray(),
    };

    public static JsonObject FunctionCall(string id, string status, string callId, string name, string arguments) => new()
    {
        ["id"] = id,
        ["type"] = "function_call",
        ["status"] = status,
        ["call_id"] = callId,
        ["name"] = name,
        ["arguments"] = arguments,
    };

    /// <summary>Chat-completions <c>usage</c> in the Responses shape, cached input tokens included.</summary>
    public static JsonObject? Usage(JsonNode? chatUsage)
    {
        if (chatUsage is not JsonObject u)
        {
            return null;
        }
        long Read(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
        var input = Read(u["prompt_tokens"]);
        var output = Read(u["completion_tokens"]);
        return new JsonObject
        {
            ["input_tokens"] = input,
            ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = Read(u["prompt_tokens_details"]?["cached_tokens"]) },
            ["output_tokens"] = output,
            ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = Read(u["completion_tokens_details"]?["reasoning_tokens"]) },
            ["total_tokens"] = u["total_tokens"] is JsonValue ? Read(u["total_tokens"]) : input + output,
        };
    }

    /// <summary>A chat <c>finish_reason</c> as the Response's status and, when incomplete, the reason.</summary>
    public static (string Status, string? IncompleteReason) Outcome(string? finishReason) => finishReason switch
    {
        "length" => ("incomplete", "max_output_tokens"),
        "content_filter" => ("incomplete", "content_filter"),
        _ => ("completed", null),
    };

    /// <summary>A whole chat completion as a Response: its text as a message item, then one item per tool call.</summary>
    public static JsonObject FromChatCompletion(JsonNode completion, string id, long createdAt, string model, JsonObject echo)
    {
        var choice = completion["choices"] is JsonArray { Count: > 0 } choices ? choices[0] : null;
        var message = choice?["message"];
        var (status, reason) = Outcome(choice?["finish_reason"]?.GetValue<string>());
        var output = new JsonArray();
        var calls = message?["tool_calls"] as JsonArray ?? [];
        var text = OpenAiJson.TryString(message?["content"], out var content) ? content : null;
        if (!string.IsNullOrEmpty(text) || calls.Count == 0)
        {
            output.Add(Message(NewId("msg"), status == "completed" ? "completed" : "incomplete", text ?? ""));
        }
        foreach (var call in calls)
        {
            output.Add(FunctionCall(NewId("fc"), "completed", call?["id"]?.GetValue<string>() ?? NewId("call"),
                call?["function"]?["name"]?.GetValue<string>() ?? "", call?["function"]?["arguments"]?.GetValue<string>() ?? ""));
        }
        return Create(id, createdAt, model, echo, status, output, Usage(completion["usage"]), reason);
    }
}
