using System.Net;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;

namespace AgentCloud.InferenceRouter.Tests.OpenAi;

/// <summary>POST /v1/responses through the real router and simulators: shapes, stream events, tools, billing as a chat.</summary>
[Collection(RouterCollection.Name)]
public sealed class ResponsesApiTests(RouterPlatform platform)
{
    private static JsonArray WeatherTool() => JsonNode.Parse("""
        [{"type": "function", "name": "get_weather", "description": "Current weather in a city", "strict": false,
          "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}}]
        """)!.AsArray();

    [Fact]
    public async Task A_string_input_gets_a_completed_response_with_a_message_and_usage()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);

        var response = await ResponsesCalls.CreateAsync(client, ResponsesCalls.Body("Describe the platform " + Guid.NewGuid(), extra: b =>
        {
            b["instructions"] = "Answer briefly.";
            b["metadata"] = new JsonObject { ["ticket"] = "T-1" };
            b["store"] = false;
            b["temperature"] = 0.2;
            b["user"] = "end-user-7";
            b["parallel_tool_calls"] = false;
        }));

        Assert.StartsWith("resp_", response["id"]!.GetValue<string>());
        Assert.Equal("response", response["object"]!.GetValue<string>());
        Assert.Equal("completed", response["status"]!.GetValue<string>());
        Assert.Equal("sim-small", response["model"]!.GetValue<string>());
        Assert.Equal("Answer briefly.", response["instructions"]!.GetValue<string>());
        Assert.Equal("T-1", response["metadata"]!["ticket"]!.GetValue<string>());
        Assert.Equal(0.2, response["temperature"]!.GetValue<double>());
        Assert.False(response["store"]!.GetValue<bool>());
        Assert.Equal(("end-user-7", false), (response["user"]!.GetValue<string>(), response["parallel_tool_calls"]!.GetValue<bool>()));
        var message = Assert.Single(response["output"]!.AsArray())!;
        Assert.Equal(("message", "assistant", "completed"), (message["type"]!.GetValue<string>(), message["role"]!.GetValue<string>(), message["status"]!.GetValue<string>()));
        Assert.StartsWith("msg_", message["id"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(ResponsesCalls.OutputText(response)));
        var usage = response["usage"]!;
        var input = usage["input_tokens"]!.GetValue<long>();
        var output = usage["output_tokens"]!.GetValue<long>();
        Assert.True(input > 0 && output > 0);
        Assert.Equal(input + output, usage["total_tokens"]!.GetValue<long>());
        Assert.Equal(0, usage["input_tokens_details"]!["cached_tokens"]!.GetValue<long>());
        // Billed once, as a chat, with the upstream's counts.
        var recorded = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(("inference", "sim-small", "ok"), (recorded.Kind, recorded.Resource, recorded.Status));
        Assert.Equal((input, output), (recorded.InputTokens, recorded.OutputTokens));
    }

    [Fact]
    public async Task A_response_and_the_same_chat_are_billed_alike()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);
        var text = "Count these words please " + Guid.NewGuid();

        var chat = await Chat.CompleteAsync(client, Chat.Body(text, extra: b =>
        {
            b["messages"]!.AsArray().Insert(0, new JsonObject { ["role"] = "system", ["content"] = "Be brief." });
            b["max_tokens"] = 12;
        }));
        var response = await ResponsesCalls.CreateAsync(client, ResponsesCalls.Body(text, extra: b =>
        {
            b["instructions"] = "Be brief.";
            b["max_output_tokens"] = 12;
        }));

        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 2);
        Assert.Equal(2, events.Count);
        Assert.Equal(Chat.PromptTokens(chat), response["usage"]!["input_tokens"]!.GetValue<int>());
        Assert.All(events, e => Assert.Equal(Chat.PromptTokens(chat), e.InputTokens));
    }

    [Fact]
    public async Task A_repeated_prompt_reports_its_cached_input_tokens()
    {
        // An enterprise tenant is pinned to one replica of its pool, so its second identical prompt finds the first's blocks.
        var tenant = platform.Policies.Add("enterprise", models: [new("sim-small", 8192)]);
        using var client = platform.Router.ClientFor(tenant);
        var prompt = string.Join(' ', Enumerable.Range(0, 300).Select(i => $"word{i}")) + Guid.NewGuid();

        var first = await ResponsesCalls.CreateAsync(client, ResponsesCalls.Body(prompt, extra: b => b["max_output_tokens"] = 4));
        var second = await ResponsesCalls.CreateAsync(client, ResponsesCalls.Body(prompt, extra: b => b["max_output_tokens"] = 4));

        Assert.Equal(0, first["usage"]!["input_tokens_details"]!["cached_tokens"]!.GetValue<int>());
        var cached = second["usage"]!["input_tokens_details"]!["cached_tokens"]!.GetValue<int>();
        Assert.True(cached > 0, "the second identical prompt should report cached tokens");
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 2);
        Assert.Contains(events, e => e.CachedInputTokens == cached);
    }

    [Fact]
    public async Task A_streamed_response_sends_the_responses_event_sequence_with_usage_last()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);

        var events = await ResponsesCalls.StreamAsync(client, ResponsesCalls.Body("Stream some words " + Guid.NewGuid()));

        var types = events.Select(ResponsesCalls.Type).ToList();
        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"], types[..4]);
        Assert.Equal(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"], types[^4..]);
        Assert.All(types[4..^4], t => Assert.Equal("response.output_text.delta", t));
        Assert.NotEmpty(types[4..^4]);
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e["sequence_number"]!.GetValue<int>()));
        var deltas = string.Concat(events.Where(e => ResponsesCalls.Type(e) == "response.output_text.delta").Select(e => e["delta"]!.GetValue<string>()));
        Assert.Equal(deltas, events.Single(e => ResponsesCalls.Type(e) == "response.output_text.done")["text"]!.GetValue<string>());
        var completed = events[^1]["response"]!;
        Assert.Equal("completed", completed["status"]!.GetValue<string>());
        Assert.Equal(deltas, ResponsesCalls.OutputText(completed));
        Assert.Equal(events[0]["response"]!["id"]!.GetValue<string>(), completed["id"]!.GetValue<string>());
        var output = completed["usage"]!["output_tokens"]!.GetValue<long>();
        Assert.True(output > 0);
        var recorded = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal((output, "ok"), (recorded.OutputTokens, recorded.Status));
    }

    [Fact]
    public async Task A_function_tool_round_trip_calls_the_tool_then_answers_with_its_result()
    {
        using var client = platform.Router.ClientFor(platform.Policies.Add("free"));
        var ask = "Use get_weather for city=Oslo " + Guid.NewGuid();

        var first = await ResponsesCalls.CreateAsync(client, ResponsesCalls.Body(ask, extra: b => b["tools"] = WeatherTool()));
        var call = Assert.Single(first["output"]!.AsArray())!;
        Assert.Equal("function_call", call["type"]!.GetValue<string>());
        Assert.Equal("get_weather", call["name"]!.GetValue<string>());
        Assert.StartsWith("fc_", call["id"]!.GetValue<string>());
        Assert.Equal("Oslo", JsonNode.Parse(call["arguments"]!.GetValue<string>())!["city"]!.GetValue<string>());
        Assert.Equal("get_weather", first["tools"]![0]!["name"]!.GetValue<string>());

        var input = new JsonArray(
            new JsonObject { ["role"] = "user", ["content"] = ask },
            call.DeepClone(),
            new JsonObject { ["type"] = "function_call_output", ["call_id"] = call["call_id"]!.GetValue<string>(), ["output"] = "4 degrees and light snow" });
        var second = await ResponsesCalls.CreateAsync(client, ResponsesCalls.Body(input, extra: b => b["tools"] = WeatherTool()));

        Assert.Equal("completed", second["status"]!.GetValue<string>());
        Assert.Contains("The result of get_weather is: 4 degrees and light snow", ResponsesCalls.OutputText(second));
    }

    [Fact]
    public async Task A_streamed_tool_call_sends_function_call_argument_events()
    {
        using var client = platform.Router.ClientFor(platform.Policies.Add("free"));

        var events = await ResponsesCalls.StreamAsync(client, ResponsesCalls.Body("Use get_weather for city=Bergen " + Guid.NewGuid(),
            extra: b => b["tools"] = WeatherTool()));

        var types = events.Select(ResponsesCalls.Type).ToList();
        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added"], types[..3]);
        Assert.Equal(["response.function_call_arguments.done", "response.output_item.done", "response.completed"], types[^3..]);
        Assert.All(types[3..^3], t => Assert.Equal("response.function_call_arguments.delta", t));
        var added = events[2]["item"]!;
        Assert.Equal(("function_call", "get_weather", "in_progress"), (added["type"]!.GetValue<string>(), added["name"]!.GetValue<string>(), added["status"]!.GetValue<string>()));
        var arguments = string.Concat(events.Where(e => ResponsesCalls.Type(e) == "response.function_call_arguments.delta").Select(e => e["delta"]!.GetValue<string>()));
        Assert.Equal(arguments, events[^3]["arguments"]!.GetValue<string>());
        Assert.Equal("Bergen", JsonNode.Parse(arguments)!["city"]!.GetValue<string>());
        var done = Assert.Single(events[^1]["response"]!["output"]!.AsArray())!;
        Assert.Equal((added["call_id"]!.GetValue<string>(), arguments), (done["call_id"]!.GetValue<string>(), done["arguments"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_answer_cut_by_max_output_tokens_is_incomplete()
    {
        using var client = platform.Router.ClientFor(platform.Policies.Add("free"));
        var body = ResponsesCalls.Body("Write a long essay about routers " + Guid.NewGuid(), extra: b => b["max_output_tokens"] = 2);

        var whole = await ResponsesCalls.CreateAsync(client, body.DeepClone().AsObject());
        var streamed = await ResponsesCalls.StreamAsync(client, body);

        Assert.Equal("incomplete", whole["status"]!.GetValue<string>());
        Assert.Equal("max_output_tokens", whole["incomplete_details"]!["reason"]!.GetValue<string>());
        Assert.Equal(2, whole["usage"]!["output_tokens"]!.GetValue<int>());
        Assert.Equal("response.incomplete", ResponsesCalls.Type(streamed[^1]));
        Assert.Equal("max_output_tokens", streamed[^1]["response"]!["incomplete_details"]!["reason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("json_object")]
    [InlineData("json_schema")]
    public async Task Text_format_asks_the_model_for_json(string kind)
    {
        using var client = platform.Router.ClientFor(platform.Policies.Add("free"));
        var format = kind == "json_object"
            ? new JsonObject { ["type"] = "json_object" }
            : JsonNode.Parse("""{"type": "json_schema", "name": "city", "strict": true, "schema": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}}""")!.AsObject();

        var response = await ResponsesCalls.CreateAsync(client, ResponsesCalls.Body("Name a city " + Guid.NewGuid(),
            extra: b => b["text"] = new JsonObject { ["format"] = format }));

        var answer = Assert.IsType<JsonObject>(JsonNode.Parse(ResponsesCalls.OutputText(response)));
        if (kind == "json_schema")
        {
            Assert.NotNull(answer["city"]);
        }
        Assert.Equal(kind, response["text"]!["format"]!["type"]!.GetValue<string>());
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"input": "hi"}""", "'model'" },
        { """{"model": "sim-small"}""", "'input' is required" },
        { """{"model": "sim-small", "input": []}""", "'input' is required" },
        { """{"model": "sim-small", "input": "hi", "previous_response_id": "resp_123"}""", "stateless only" },
        { """{"model": "sim-small", "input": "hi", "background": true}""", "'background'" },
        { """{"model": "sim-small", "input": "hi", "tools": [{"type": "web_search"}]}""", "'tools[0].type' 'web_search'" },
        { """{"model": "sim-small", "input": "hi", "tool_choice": {"type": "file_search"}}""", "'tool_choice.type' 'file_search'" },
        { """{"model": "sim-small", "input": "hi", "conversation": "conv_1"}""", "'conversation' is not supported" },
        { """{"model": "sim-small", "input": "hi", "include": ["message.output_text.logprobs"]}""", "'include'" },
        { """{"model": "sim-small", "input": "hi", "reasoning": {"effort": "high"}}""", "'reasoning'" },
        { """{"model": "sim-small", "input": "hi", "max_output_tokens": 0}""", "'max_output_tokens'" },
        { """{"model": "sim-small", "input": "hi", "temperature": 7}""", "'temperature'" },
        { """{"model": "sim-small", "input": "hi", "text": {"format": {"type": "yaml"}}}""", "'text.format.type' 'yaml'" },
        { """{"model": "sim-small", "input": "hi", "metadata": {"n": 1}}""", "'metadata'" },
        { """{"model": "sim-small", "input": [{"role": "wizard", "content": "hi"}]}""", "'input[0].role'" },
        { """{"model": "sim-small", "input": [{"type": "item_reference", "id": "msg_1"}]}""", "stateless only" },
        { """{"model": "sim-small", "input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file_1"}]}]}""", "'input[0].content[0].image_url'" },
        { """{"model": "sim-small", "input": [{"role": "user", "content": [{"type": "input_file", "file_id": "file_1"}]}]}""", "'input_file' parts are not supported" },
        { """{"model": "sim-small", "input": [{"type": "function_call_output", "output": "x"}]}""", "'input[0].call_id'" },
        { """{"model": "sim-small", "input": [{"type": "function_call", "call_id": "c1", "name": "f"}]}""", "'input[0].arguments'" },
        { """{"model": "sim-small", "input": "hi", "tools": [{"type": "function", "name": "f"}], "tool_choice": {"type": "function", "name": "rm_rf"}}""", "'rm_rf'" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_responses_bodies_are_refused_with_a_problem_naming_the_field(string body, string expected)
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);

        using var response = await ResponsesCalls.PostAsync(client, JsonNode.Parse(body)!.AsObject());
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("https://agentcloud.dev/problems/", problem["type"]!.GetValue<string>());
        Assert.Contains(expected, problem["detail"]!.GetValue<string>());
        Assert.Empty(await UsageStream.ForTenantAsync(platform.Redis.Connection, tenant.TenantId));
    }

    [Fact]
    public async Task A_model_the_tenant_is_not_entitled_to_is_refused_before_anything_is_billed()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);

        using var response = await ResponsesCalls.PostAsync(client, ResponsesCalls.Body("hi", model: "sim-large"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Empty(await UsageStream.ForTenantAsync(platform.Redis.Connection, tenant.TenantId));
    }
}
