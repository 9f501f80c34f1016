using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Contracts;
using Microsoft.ML.Tokenizers;

namespace AgentCloud.InferenceRouter.Tests;

/// <summary>Function calling through the router: the fields reach the model, tool definitions count in the prompt, bad shapes stop here.</summary>
[Collection(RouterCollection.Name)]
public sealed class FunctionCallingTests(RouterPlatform platform)
{
    private static readonly TiktokenTokenizer Tokenizer = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    private static JsonArray Tools() => JsonNode.Parse("""
        [{"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city, in the unit asked for",
          "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}}}},
         {"type": "function", "function": {"name": "tickets_create", "parameters": {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}}}]
        """)!.AsArray();

    private static JsonObject ToolBody(string content, string model = "sim-small", Action<JsonObject>? extra = null) =>
        Chat.Body(content, model, b =>
        {
            b["tools"] = Tools();
            extra?.Invoke(b);
        });

    [Fact]
    public async Task Tools_tool_choice_and_parallel_tool_calls_reach_the_model()
    {
        using var client = platform.Router.ClientFor(platform.Policies.Add("free"));

        var required = await Chat.CompleteAsync(client, ToolBody("anything " + Guid.NewGuid(), extra: b => b["tool_choice"] = "required"));
        var named = await Chat.CompleteAsync(client, ToolBody("get_weather " + Guid.NewGuid(),
            extra: b => b["tool_choice"] = new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "tickets_create" } }));
        var serial = await Chat.CompleteAsync(client, ToolBody("get_weather and tickets_create " + Guid.NewGuid(), extra: b => b["parallel_tool_calls"] = false));
        var parallel = await Chat.CompleteAsync(client, ToolBody("get_weather and tickets_create " + Guid.NewGuid()));
        var none = await Chat.CompleteAsync(client, ToolBody("get_weather " + Guid.NewGuid(), extra: b => b["tool_choice"] = "none"));

        Assert.Equal("tool_calls", required["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Equal(["get_weather"], Calls(required));
        Assert.Equal(["tickets_create"], Calls(named));
        Assert.Equal(["get_weather"], Calls(serial));
        Assert.Equal(["get_weather", "tickets_create"], Calls(parallel));
        Assert.Empty(Calls(none));
    }

    private static List<string> Calls(JsonNode answer) =>
        (answer["choices"]![0]!["message"]!["tool_calls"] as JsonArray ?? []).Select(c => c!["function"]!["name"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task Response_format_reaches_the_model()
    {
        using var client = platform.Router.ClientFor(platform.Policies.Add("free"));

        var answer = await Chat.CompleteAsync(client, Chat.Body("facts " + Guid.NewGuid(), extra: b => b["response_format"] = new JsonObject { ["type"] = "json_object" }));

        Assert.IsType<JsonObject>(JsonNode.Parse(answer["choices"]![0]!["message"]!["content"]!.GetValue<string>()));
    }

    /// <summary>A tool loop's second turn: the assistant's call (content null) and the tool's result go in.</summary>
    private static JsonObject SecondTurn(string result) => ToolBody("use get_weather for city=Oslo", extra: b =>
    {
        b["messages"]!.AsArray().Add(JsonNode.Parse("""{"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\",\"unit\":\"celsius\"}"}}]}"""));
        b["messages"]!.AsArray().Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = "call_1", ["content"] = result });
    });

    [Fact]
    public async Task Tool_turns_are_accepted_and_the_router_counts_the_prompt_as_the_model_does()
    {
        var result = "4 degrees, light snow " + Guid.NewGuid();
        var body = SecondTurn(result);
        var expected = Tokenizer.CountTokens(PromptText.Render(ChatRequestReader.TryRead(body, 4096, out _)!));
        var withoutTools = body.DeepClone().AsObject();
        withoutTools.Remove("tools");
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);

        var answer = await Chat.CompleteAsync(client, body);

        Assert.Contains(result, answer["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.Equal(expected, Chat.PromptTokens(answer));
        Assert.True(expected > Tokenizer.CountTokens(PromptText.Render(ChatRequestReader.TryRead(withoutTools, 4096, out _)!)) + 40);
        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(expected, usage.InputTokens);
    }

    [Fact]
    public async Task Tool_definitions_count_against_the_context_length_before_the_call_is_admitted()
    {
        var body = SecondTurn("cold");
        var prompt = Tokenizer.CountTokens(PromptText.Render(ChatRequestReader.TryRead(body, 4096, out _)!));
        var withoutTools = Chat.Body("use get_weather for city=Oslo");
        // The messages alone fit; with the tool definitions the prompt does not.
        var tenant = platform.Policies.Add("free", models: [new ModelEntitlement("sim-small", prompt - 1)]);
        using var client = platform.Router.ClientFor(tenant);

        using var refused = await Chat.PostAsync(client, body);
        var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        var admitted = await Chat.CompleteAsync(client, withoutTools);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.EndsWith("/context-length-exceeded", problem["type"]!.GetValue<string>());
        Assert.Contains($"The prompt has {prompt} tokens", problem["detail"]!.GetValue<string>());
        Assert.NotNull(admitted["choices"]);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"tools": "get_weather"}""", "'tools' must be an array" },
        { """{"tools": [{"type": "function", "function": {"parameters": {}}}]}""", "'tools[0].function.name' is required" },
        { """{"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {"name": "rm_rf"}}}""", "'rm_rf', which 'tools' does not define" },
        { """{"response_format": {"type": "yaml"}}""", "'response_format.type'" },
        { """{"parallel_tool_calls": 1}""", "'parallel_tool_calls'" },
        { """{"messages": [{"role": "tool", "content": "orphan result"}]}""", "tool_call_id" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_function_calling_shapes_are_refused_before_any_model_is_called(string fields, string expected)
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);
        var body = Chat.Body("hi");
        foreach (var (key, value) in JsonNode.Parse(fields)!.AsObject())
        {
            body[key] = value?.DeepClone();
        }

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("https://agentcloud.dev/problems/bad-request", problem["type"]!.GetValue<string>());
        Assert.Contains(expected, problem["detail"]!.GetValue<string>());
        Assert.Empty(await UsageStream.ForTenantAsync(platform.Redis.Connection, tenant.TenantId));
    }

    [Fact]
    public async Task Streamed_tool_call_deltas_pass_through_and_are_metered()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);
        var body = ToolBody("get_weather for city=Lima " + Guid.NewGuid(), extra: b => b["stream"] = true);

        using var response = await Chat.PostAsync(client, body);
        var text = await response.Content.ReadAsStringAsync();

        var chunks = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).Where(e => e != "[DONE]").Select(e => JsonNode.Parse(e)!).ToList();
        var deltas = chunks.SelectMany(c => c["choices"]!.AsArray()).SelectMany(c => c!["delta"]!["tool_calls"] as JsonArray ?? []).ToList();
        var arguments = string.Concat(deltas.Select(d => d!["function"]!["arguments"]!.GetValue<string>()));
        Assert.Equal("get_weather", deltas[0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal("Lima", JsonNode.Parse(arguments)!["city"]!.GetValue<string>());
        Assert.Equal("tool_calls", chunks[^1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(("ok", (long)(Tokenizer.CountTokens("get_weather") + deltas.Sum(d => Tokenizer.CountTokens(d!["function"]!["arguments"]!.GetValue<string>())))),
            (usage.Status, usage.OutputTokens));
    }

    [Fact]
    public async Task A_tool_call_stream_aborted_after_its_first_delta_bills_the_tool_name_produced()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);
        var body = ToolBody("get_weather " + Guid.NewGuid(), model: "sim-slow", extra: b => b["stream"] = true);
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // The slow simulator's clock stands still: after the call's first delta nothing more can come.
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)) is { } line && !line.Contains("\"tool_calls\"", StringComparison.Ordinal))
        {
        }
        reader.Dispose();
        response.Dispose();

        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal("aborted", usage.Status);
        Assert.Equal(Tokenizer.CountTokens("get_weather"), usage.OutputTokens);
    }
}
