using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.ModelSimulator.Extensions;
using AgentCloud.ModelSimulator.Inference;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.ModelSimulator.Tests;

/// <summary>Function calling and JSON mode as an OpenAI client sees them from the simulator.</summary>
public sealed class FunctionCallingApiTests(SimulatorApiTests.Host host) : IClassFixture<SimulatorApiTests.Host>
{
    private static JsonArray WeatherTools() => JsonNode.Parse("""
        [{"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city",
          "parameters": {"type": "object", "required": ["city", "unit", "days"],
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}, "days": {"type": "integer"}}}}},
         {"type": "function", "function": {"name": "tickets_create", "parameters": {"type": "object", "required": ["title", "urgent"],
            "properties": {"title": {"type": "string"}, "urgent": {"type": "boolean"}}}}}]
        """)!.AsArray();

    private static JsonObject Body(string user, Action<JsonObject>? extra = null)
    {
        var body = new JsonObject
        {
            ["model"] = "sim-small",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = user }),
            ["tools"] = WeatherTools(),
        };
        extra?.Invoke(body);
        return body;
    }

    private async Task<JsonNode> PostAsync(JsonObject body)
    {
        using var response = await host.Client.PostAsync("/v1/chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task Required_tool_choice_yields_a_tool_call_whose_arguments_satisfy_the_schema()
    {
        var answer = await PostAsync(Body("Weather in city=Oslo please " + Guid.NewGuid(), b => b["tool_choice"] = "required"));

        var choice = answer["choices"]![0]!;
        Assert.Equal("tool_calls", choice["finish_reason"]!.GetValue<string>());
        Assert.True(choice["message"]!.AsObject().ContainsKey("content"));
        Assert.Null(choice["message"]!["content"]);
        var call = Assert.Single(choice["message"]!["tool_calls"]!.AsArray())!;
        Assert.StartsWith("call_", call["id"]!.GetValue<string>());
        Assert.Equal("function", call["type"]!.GetValue<string>());
        Assert.Equal("get_weather", call["function"]!["name"]!.GetValue<string>());
        var arguments = JsonNode.Parse(call["function"]!["arguments"]!.GetValue<string>())!;
        Assert.Equal("Oslo", arguments["city"]!.GetValue<string>());
        Assert.Equal("celsius", arguments["unit"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Number, arguments["days"]!.GetValueKind());
        Assert.True(answer["usage"]!["completion_tokens"]!.GetValue<int>() > 0);
    }

    [Fact]
    public async Task A_named_function_is_called_whatever_the_text_says()
    {
        var answer = await PostAsync(Body("Use get_weather " + Guid.NewGuid(),
            b => b["tool_choice"] = new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "tickets_create" } }));

        var call = Assert.Single(answer["choices"]![0]!["message"]!["tool_calls"]!.AsArray())!;
        Assert.Equal("tickets_create", call["function"]!["name"]!.GetValue<string>());
        Assert.True(JsonNode.Parse(call["function"]!["arguments"]!.GetValue<string>())!["urgent"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("What's the weather like?", null)]
    [InlineData("Please call get_weather for city=Rome", "get_weather")]
    public async Task Auto_calls_a_tool_only_when_the_user_names_it(string user, string? expected)
    {
        var answer = await PostAsync(Body(user + " " + Guid.NewGuid()));

        var choice = answer["choices"]![0]!;
        Assert.Equal(expected, choice["message"]!["tool_calls"]?[0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal(expected is null ? "stop" : "tool_calls", choice["finish_reason"]!.GetValue<string>());
        Assert.Equal(expected is null, choice["message"]!["content"] is not null);
    }

    [Fact]
    public async Task None_never_calls()
    {
        var answer = await PostAsync(Body("get_weather now " + Guid.NewGuid(), b => b["tool_choice"] = "none"));

        Assert.Null(answer["choices"]![0]!["message"]!["tool_calls"]);
        Assert.Equal("stop", answer["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 1)]
    public async Task Several_named_tools_are_called_in_parallel_unless_parallel_calls_are_off(bool parallel, int expected)
    {
        var answer = await PostAsync(Body("get_weather then tickets_create " + Guid.NewGuid(), b => b["parallel_tool_calls"] = parallel));

        var calls = answer["choices"]![0]!["message"]!["tool_calls"]!.AsArray();
        Assert.Equal(expected, calls.Count);
        Assert.Equal(calls.Count, calls.Select(c => c!["id"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task After_a_tool_result_the_answer_is_prose_that_mentions_it()
    {
        var body = Body("call get_weather for city=Paris");
        body["messages"]!.AsArray().Add(JsonNode.Parse("""{"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}"""));
        body["messages"]!.AsArray().Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = "call_abc", ["content"] = "21 degrees and sunny " + Guid.NewGuid() });

        var answer = await PostAsync(body);

        var message = answer["choices"]![0]!["message"]!;
        Assert.Null(message["tool_calls"]);
        Assert.Equal("stop", answer["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Contains("get_weather", message["content"]!.GetValue<string>());
        Assert.Contains("21 degrees and sunny", message["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Json_mode_answers_a_json_object()
    {
        var body = Body("Describe the platform " + Guid.NewGuid(), b => b["response_format"] = new JsonObject { ["type"] = "json_object" });
        body.Remove("tools");

        var answer = await PostAsync(body);

        var content = answer["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(content).RootElement.ValueKind);
        Assert.Equal(new SimTokenizer().Count(content) > 0, answer["usage"]!["completion_tokens"]!.GetValue<int>() > 0);
    }

    [Fact]
    public async Task A_json_schema_answer_satisfies_the_schema()
    {
        var body = Body("Summarise " + Guid.NewGuid(), b => b["response_format"] = JsonNode.Parse("""
            {"type": "json_schema", "json_schema": {"name": "summary", "strict": true, "schema": {"type": "object", "required": ["title", "score", "tags"],
              "properties": {"title": {"type": "string"}, "score": {"type": "number", "minimum": 3}, "tags": {"type": "array", "items": {"type": "string"}}}}}}
            """));
        body.Remove("tools");

        var answer = await PostAsync(body);

        var value = JsonNode.Parse(answer["choices"]![0]!["message"]!["content"]!.GetValue<string>())!;
        Assert.Equal(JsonValueKind.String, value["title"]!.GetValueKind());
        Assert.True(value["score"]!.GetValue<double>() >= 3);
        Assert.Equal(JsonValueKind.Array, value["tags"]!.GetValueKind());
    }

    [Fact]
    public async Task Prompt_tokens_count_the_tool_definitions()
    {
        var user = "What's new? " + Guid.NewGuid();
        var plain = Body(user);
        plain.Remove("tools");

        var withTools = await PostAsync(Body(user));
        var without = await PostAsync(plain);

        var request = ChatRequestReader.TryRead(Body(user), 4096, out _)!;
        Assert.Equal(new SimTokenizer().Count(PromptText.Render(request)), withTools["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.True(withTools["usage"]!["prompt_tokens"]!.GetValue<int>() > without["usage"]!["prompt_tokens"]!.GetValue<int>() + 50);
    }

    [Fact]
    public async Task Max_tokens_cuts_a_tool_call_and_says_so()
    {
        var answer = await PostAsync(Body("get_weather " + Guid.NewGuid(), b => b["max_tokens"] = 4));

        Assert.Equal("length", answer["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.True(answer["usage"]!["completion_tokens"]!.GetValue<int>() <= 4);
    }

    [Fact]
    public async Task A_tool_schema_asking_for_two_billion_items_gets_a_bounded_answer_within_the_context()
    {
        var body = Body("get_weather " + Guid.NewGuid());
        body["tools"]![0]!["function"]!["parameters"] = JsonNode.Parse("""
            {"type": "object", "required": ["days"], "properties": {"days": {"type": "array", "minItems": 2000000000, "items": {"type": "string", "minLength": 1000}}}}
            """);

        var answer = await PostAsync(body);

        var usage = answer["usage"]!;
        var arguments = answer["choices"]![0]!["message"]!["tool_calls"]![0]!["function"]!["arguments"]!.GetValue<string>();
        Assert.InRange(arguments.Length, 1000, 4 * SchemaInstance.Budget);
        Assert.InRange(usage["completion_tokens"]!.GetValue<int>(), 1, new SimulatorOptions().MaxModelTokens - usage["prompt_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Streamed_tool_calls_arrive_as_openai_deltas_with_usage_last()
    {
        var body = Body("get_weather and tickets_create for city=Lima " + Guid.NewGuid(), b =>
        {
            b["stream"] = true;
            b["stream_options"] = new JsonObject { ["include_usage"] = true };
        });
        var whole = await PostAsync(Body(body["messages"]![0]!["content"]!.GetValue<string>()));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) };
        using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        var deltas = chunks.Where(c => c["choices"]!.AsArray().Count > 0).SelectMany(c => c["choices"]![0]!["delta"]!["tool_calls"]?.AsArray() ?? []).ToList();
        var starts = deltas.Where(d => d!["id"] is not null).ToList();
        Assert.Equal(2, starts.Count);
        Assert.All(starts, s => Assert.Equal(("function", ""), (s!["type"]!.GetValue<string>(), s["function"]!["arguments"]!.GetValue<string>())));
        Assert.True(deltas.Count > starts.Count + 2);
        var expected = whole["choices"]![0]!["message"]!["tool_calls"]!.AsArray();
        for (var i = 0; i < 2; i++)
        {
            var mine = deltas.Where(d => d!["index"]!.GetValue<int>() == i).ToList();
            Assert.Equal(expected[i]!["id"]!.GetValue<string>(), mine[0]!["id"]!.GetValue<string>());
            Assert.Equal(expected[i]!["function"]!["name"]!.GetValue<string>(), mine[0]!["function"]!["name"]!.GetValue<string>());
            Assert.Equal(expected[i]!["function"]!["arguments"]!.GetValue<string>(), string.Concat(mine.Select(d => d!["function"]!["arguments"]!.GetValue<string>())));
        }
        Assert.Equal("tool_calls", chunks[^2]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Equal(whole["usage"]!["completion_tokens"]!.GetValue<int>(), chunks[^1]["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"tools": {"type": "function"}}""", "'tools'" },
        { """{"tools": [{"type": "function", "function": {"description": "no name"}}]}""", "tools[0].function.name" },
        { """{"tools": [{"type": "retrieval"}]}""", "tools[0]" },
        { """{"tools": [{"type": "function", "function": {"name": "a b"}}]}""", "tools[0].function.name" },
        { """{"tools": [{"type": "function", "function": {"name": "f"}}, {"type": "function", "function": {"name": "f"}}]}""", "unique" },
        { """{"tools": [{"type": "function", "function": {"name": "f", "parameters": "{}"}}]}""", "parameters" },
        { """{"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {"name": "g"}}}""", "'g'" },
        { """{"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "sometimes"}""", "'tool_choice'" },
        { """{"tool_choice": "required"}""", "needs 'tools'" },
        { """{"parallel_tool_calls": "yes"}""", "'parallel_tool_calls'" },
        { """{"response_format": {"type": "xml"}}""", "\"xml\"" },
        { """{"response_format": "json"}""", "'response_format.type'" },
        { """{"response_format": {"type": "json_schema"}}""", "'response_format.json_schema'" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_function_calling_fields_are_refused_naming_the_field(string fields, string expected)
    {
        var body = JsonNode.Parse(fields)!.AsObject();
        body["model"] = "sim-small";
        body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" });

        using var response = await host.Client.PostAsync("/v1/chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(expected, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"role": "tool", "content": "result without an id"}""", "tool_call_id")]
    [InlineData("""{"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f"}}]}""", "tool_calls[0]")]
    [InlineData("""{"role": "assistant", "tool_calls": {"id": "c"}}""", "tool_calls")]
    public async Task Malformed_tool_turns_are_refused(string message, string expected)
    {
        var body = new JsonObject { ["model"] = "sim-small", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }, JsonNode.Parse(message)) };

        using var response = await host.Client.PostAsync("/v1/chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
    }
}
