using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Responses;

namespace AgentCloud.InferenceRouter.Tests.OpenAi;

/// <summary>The Responses-to-chat translation and the chat-chunk-to-event state machine, as pure functions.</summary>
public sealed class ResponsesTranslationTests
{
    private static ResponsesRequest Translate(string json)
    {
        var request = ResponsesRequest.TryTranslate(JsonNode.Parse(json)!.AsObject(), 4096, out var problem);
        Assert.True(request is not null, problem);
        return request;
    }

    [Fact]
    public void A_tool_loop_becomes_one_assistant_turn_with_its_calls_then_tool_messages()
    {
        var request = Translate("""
            {"model": "m", "instructions": "be terse", "input": [
              {"role": "developer", "content": "rules"},
              {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather "}, {"type": "input_text", "text": "twice"}]},
              {"role": "assistant", "content": [{"type": "output_text", "text": "calling"}]},
              {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"},
              {"type": "function_call", "call_id": "c2", "name": "get_weather", "arguments": "{\"city\":\"Bergen\"}"},
              {"type": "function_call_output", "call_id": "c1", "output": "cold"},
              {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "wet"}]}]}
            """);

        var messages = request.ChatBody["messages"]!.AsArray();
        Assert.Equal(["system", "system", "user", "assistant", "tool", "tool"], messages.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("be terse", messages[0]!["content"]!.GetValue<string>());
        Assert.Equal("weather twice", messages[2]!["content"]!.GetValue<string>());
        Assert.Equal("calling", messages[3]!["content"]!.GetValue<string>());
        Assert.Equal(["c1", "c2"], messages[3]!["tool_calls"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()));
        Assert.Equal("{\"city\":\"Bergen\"}", messages[3]!["tool_calls"]![1]!["function"]!["arguments"]!.GetValue<string>());
        Assert.Equal(("c2", "wet"), (messages[5]!["tool_call_id"]!.GetValue<string>(), messages[5]!["content"]!.GetValue<string>()));
    }

    [Fact]
    public void Tools_tool_choice_text_format_and_limits_take_their_chat_shapes()
    {
        var request = Translate("""
            {"model": "m", "input": "hi", "max_output_tokens": 50, "top_p": 0.5, "parallel_tool_calls": false, "stream": true,
             "tools": [{"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}, "strict": true}],
             "tool_choice": {"type": "function", "name": "f"},
             "text": {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}, "strict": true}}}
            """);

        var chat = request.ChatBody;
        Assert.Equal("""{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":true}}""", chat["tools"]![0]!.ToJsonString());
        Assert.Equal("""{"type":"function","function":{"name":"f"}}""", chat["tool_choice"]!.ToJsonString());
        Assert.Equal("""{"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object"},"strict":true}}""", chat["response_format"]!.ToJsonString());
        Assert.Equal((50, 0.5, false, true), (chat["max_tokens"]!.GetValue<long>(), chat["top_p"]!.GetValue<double>(),
            chat["parallel_tool_calls"]!.GetValue<bool>(), chat["stream_options"]!["include_usage"]!.GetValue<bool>()));
        Assert.True(request.Stream);
        // The Response echoes the request's own shapes, not the chat ones.
        Assert.Equal("f", request.Echo["tools"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("out", request.Echo["text"]!["format"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void An_input_image_becomes_an_image_url_part_beside_the_text()
    {
        var request = Translate("""
            {"model": "m", "input": [{"role": "user", "content": [{"type": "input_text", "text": "what is this"},
              {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"}]}]}
            """);

        Assert.Equal("""[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}}]""",
            request.ChatBody["messages"]![0]!["content"]!.ToJsonString());
    }

    private static List<string> Types(IEnumerable<JsonObject> events) => events.Select(e => e["type"]!.GetValue<string>()).ToList();

    private static JsonNode Chunk(string json) => JsonNode.Parse(json)!;

    [Fact]
    public void Text_then_a_tool_call_close_in_order_and_the_usage_chunk_lands_in_the_completed_response()
    {
        var stream = new ResponseEventStream("resp_1", 1, "m", new JsonObject());
        var events = new List<JsonObject>(stream.Start());

        events.AddRange(stream.Add(Chunk("""{"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}""")));
        events.AddRange(stream.Add(Chunk("""{"choices": [{"index": 0, "delta": {"content": "Let me check."}}]}""")));
        events.AddRange(stream.Add(Chunk("""{"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_9", "type": "function", "function": {"name": "f", "arguments": ""}}]}}]}""")));
        events.AddRange(stream.Add(Chunk("""{"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\":1}"}}]}}]}""")));
        events.AddRange(stream.Add(Chunk("""{"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}""")));
        events.AddRange(stream.Add(Chunk("""{"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14, "prompt_tokens_details": {"cached_tokens": 8}}}""")));
        events.AddRange(stream.Finish());

        Assert.Equal([
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
            "response.completed"], Types(events));
        var response = events[^1]["response"]!;
        Assert.Equal(["message", "function_call"], response["output"]!.AsArray().Select(i => i!["type"]!.GetValue<string>()));
        Assert.Equal(("call_9", "{\"a\":1}"), (response["output"]![1]!["call_id"]!.GetValue<string>(), response["output"]![1]!["arguments"]!.GetValue<string>()));
        Assert.Equal(8L, response["usage"]!["input_tokens_details"]!["cached_tokens"]!.GetValue<long>());
        Assert.Equal(1, events[8]["output_index"]!.GetValue<int>());
    }

    [Fact]
    public void A_stream_that_ends_without_a_finish_reason_ends_with_response_failed()
    {
        var stream = new ResponseEventStream("resp_1", 1, "m", new JsonObject());
        stream.Start();
        stream.Add(Chunk("""{"choices": [{"index": 0, "delta": {"content": "half an ans"}}]}"""));

        var last = stream.Finish();

        Assert.Equal("response.failed", Types(last)[^1]);
        Assert.Equal("failed", last[^1]["response"]!["status"]!.GetValue<string>());
        Assert.Empty(stream.Finish());
    }

    [Fact]
    public void A_whole_completion_cut_by_length_is_an_incomplete_response_with_its_usage()
    {
        var completion = Chunk("""
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": "abc"}, "finish_reason": "length"}],
             "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10, "prompt_tokens_details": {"cached_tokens": 4}}}
            """);

        var response = ResponseObject.FromChatCompletion(completion, "resp_1", 5, "public-id", new JsonObject());

        Assert.Equal(("incomplete", "max_output_tokens", "public-id"), (response["status"]!.GetValue<string>(),
            response["incomplete_details"]!["reason"]!.GetValue<string>(), response["model"]!.GetValue<string>()));
        Assert.Equal("""{"input_tokens":7,"input_tokens_details":{"cached_tokens":4},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":10}""",
            response["usage"]!.ToJsonString());
    }
}
