using AgentCloud.Platform.Contracts;
using System.Text.Json.Nodes;

namespace AgentCloud.InferenceRouter.Responses;

/// <summary>
/// A <c>POST /v1/responses</c> body translated to the chat-completions call that serves it. <see cref="Echo"/> holds
/// the request fields a Response object repeats back (instructions, tools, text, metadata...).
/// </summary>
public sealed record ResponsesRequest(string Model, JsonObject ChatBody, JsonObject Echo, bool Stream)
{
    /// <summary>Fields read and honoured, or accepted as the no-op they are here (a hint that changes nothing).</summary>
    private static readonly HashSet<string> Known =
    [
        "model", "input", "instructions", "max_output_tokens", "temperature", "top_p", "tools", "tool_choice",
        "parallel_tool_calls", "text", "metadata", "store", "stream", "stream_options", "user", "previous_response_id",
        "background", "truncation", "include", "reasoning", "service_tier", "prompt_cache_key", "safety_identifier",
    ];

    /// <summary>Translates <paramref name="body"/>, or says which field cannot be served and why.</summary>
    public static ResponsesRequest? TryTranslate(JsonObject body, int maxOutputTokens, out string? problem)
    {
        problem = null;
        try
        {
            return Translate(body, maxOutputTokens);
        }
        catch (ResponsesRequestException e)
        {
            problem = e.Message;
            return null;
        }
    }

    private static ResponsesRequest Translate(JsonObject body, int maxOutputTokens)
    {
        foreach (var (field, _) in body)
        {
            if (!Known.Contains(field))
            {
                throw new ResponsesRequestException($"'{field}' is not supported by this Responses API.");
            }
        }
        RefuseStatefulAndBuiltIn(body);
        if (!OpenAiJson.TryString(body["model"], out var model) || string.IsNullOrWhiteSpace(model))
        {
            throw new ResponsesRequestException("'model' is required and must be a non-empty string.");
        }
        string? instructions = null;
        if (!OpenAiJson.IsAbsentOrNull(body, "instructions") && !OpenAiJson.TryString(body["instructions"], out instructions!))
        {
            throw new ResponsesRequestException("'instructions' must be a string.");
        }
        var chat = new JsonObject { ["model"] = model, ["messages"] = ResponsesInput.ToMessages(body["input"], instructions) };
        var echo = new JsonObject
        {
            ["instructions"] = instructions,
            ["max_output_tokens"] = null,
            ["parallel_tool_calls"] = true,
            ["temperature"] = null,
            ["top_p"] = null,
            ["tool_choice"] = "auto",
            ["tools"] = new JsonArray(),
            ["text"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } },
            ["metadata"] = new JsonObject(),
            ["user"] = null,
        };
        if (!OpenAiJson.IsAbsentOrNull(body, "max_output_tokens"))
        {
            if (!OpenAiJson.TryInt(body["max_output_tokens"], out var max) || max < 1 || max > maxOutputTokens)
            {
                throw new ResponsesRequestException($"'max_output_tokens' must be an integer from 1 to {maxOutputTokens}.");
            }
            chat["max_tokens"] = max;
            echo["max_output_tokens"] = max;
        }
        CopyNumber(body, chat, echo, "temperature", 0, 2);
        CopyNumber(body, chat, echo, "top_p", 0, 1);
        if (!OpenAiJson.IsAbsentOrNull(body, "parallel_tool_calls"))
        {
            var parallel = OpenAiJson.TryBool(body["parallel_tool_calls"], out var p)
                ? p : throw new ResponsesRequestException("'parallel_tool_calls' must be true or false.");
            chat["parallel_tool_calls"] = parallel;
            echo["parallel_tool_calls"] = parallel;
        }
        if (!OpenAiJson.IsAbsentOrNull(body, "tools"))
        {
            var tools = ResponsesTools.ToChatTools(body["tools"]);
            if (tools.Count > 0)
            {
                chat["tools"] = tools;
            }
            echo["tools"] = body["tools"]!.DeepClone();
        }
        if (!OpenAiJson.IsAbsentOrNull(body, "tool_choice"))
        {
            chat["tool_choice"] = ResponsesTools.ToChatToolChoice(body["tool_choice"]!);
            echo["tool_choice"] = body["tool_choice"]!.DeepClone();
        }
        if (!OpenAiJson.IsAbsentOrNull(body, "text"))
        {
            if (ResponsesTools.ToResponseFormat(body["text"]!) is { } format)
            {
                chat["response_format"] = format;
            }
            echo["text"] = body["text"]!.DeepClone();
        }
        if (!OpenAiJson.IsAbsentOrNull(body, "metadata"))
        {
            echo["metadata"] = Metadata(body["metadata"]);
        }
        if (!OpenAiJson.IsAbsentOrNull(body, "user"))
        {
            var user = OpenAiJson.TryString(body["user"], out var u) ? u : throw new ResponsesRequestException("'user' must be a string.");
            chat["user"] = user;
            echo["user"] = user;
        }
        var stream = false;
        if (!OpenAiJson.IsAbsentOrNull(body, "stream") && !OpenAiJson.TryBool(body["stream"], out stream))
        {
            throw new ResponsesRequestException("'stream' must be true or false.");
        }
        if (!OpenAiJson.IsAbsentOrNull(body, "store") && !OpenAiJson.TryBool(body["store"], out _))
        {
            throw new ResponsesRequestException("'store' must be true or false.");
        }
        if (stream)
        {
            chat["stream"] = true;
            chat["stream_options"] = new JsonObject { ["include_usage"] = true };
        }
        return new ResponsesRequest(model, chat, echo, stream);
    }

    /// <summary>What needs stored responses or a server-side tool: refused by field, never ignored.</summary>
    private static void RefuseStatefulAndBuiltIn(JsonObject body)
    {
        if (!OpenAiJson.IsAbsentOrNull(body, "previous_response_id"))
        {
            throw new ResponsesRequestException(
                "'previous_response_id' is not supported: responses are not stored here (stateless only); send the whole conversation in 'input'.");
        }
        if (OpenAiJson.TryBool(body["background"], out var background) && background || body["background"] is JsonNode b && !OpenAiJson.TryBool(b, out _))
        {
            throw new ResponsesRequestException("'background' must be false (or absent): background responses need storage, and responses are not stored here.");
        }
        if (body["include"] is JsonArray { Count: > 0 } || body["include"] is JsonNode i && i is not JsonArray)
        {
            throw new ResponsesRequestException("'include' must be empty (or absent): no additional output data (logprobs, reasoning, search results) is produced here.");
        }
        if (body["reasoning"] is JsonObject reasoning && reasoning.Any(p => p.Value is not null) || body["reasoning"] is JsonNode r && r is not JsonObject)
        {
            throw new ResponsesRequestException("'reasoning' is not supported: the models served here are not reasoning models.");
        }
        if (!OpenAiJson.IsAbsentOrNull(body, "truncation") && !(OpenAiJson.TryString(body["truncation"], out var truncation) && truncation == "disabled"))
        {
            throw new ResponsesRequestException("'truncation' must be \"disabled\" (or absent): an input longer than the context is refused, never truncated.");
        }
    }

    private static void CopyNumber(JsonObject body, JsonObject chat, JsonObject echo, string field, double min, double max)
    {
        if (OpenAiJson.IsAbsentOrNull(body, field))
        {
            return;
        }
        if (!OpenAiJson.TryNumber(body[field], out var value) || value < min || value > max)
        {
            throw new ResponsesRequestException($"'{field}' must be a number from {min} to {max}.");
        }
        chat[field] = value;
        echo[field] = value;
    }

    /// <summary>OpenAI's limits: up to 16 pairs, keys up to 64 characters, string values up to 512.</summary>
    private static JsonObject Metadata(JsonNode? metadata)
    {
        if (metadata is not JsonObject pairs || pairs.Count > 16
            || pairs.Any(p => p.Key.Length > 64 || !OpenAiJson.TryString(p.Value, out var v) || v.Length > 512))
        {
            throw new ResponsesRequestException("'metadata' must be an object of up to 16 string values (keys up to 64 characters, values up to 512).");
        }
        return pairs.DeepClone().AsObject();
    }
}
