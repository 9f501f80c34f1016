using System.ClientModel;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;
using ChatResponseFormat = OpenAI.Chat.ChatResponseFormat;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// Function calling as an agent does it, through the Gateway and the InferenceRouter to the simulator: the OpenAI .NET
/// SDK's tool loop (call, result, answer), streamed tool calls, JSON mode, and Microsoft.Extensions.AI invoking a
/// .NET function by itself.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class FunctionCallingEndToEndTests(PlatformFixture platform)
{
    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool("get_weather", "The current weather in a city",
        BinaryData.FromString("""
            {"type": "object", "required": ["city", "unit"],
             "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}}
            """));

    private async Task<OpenAIClient> ClientAsync()
    {
        var (_, key) = await platform.NewTenantAsync("pro", "functions");
        return new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri($"http://127.0.0.1:{platform.Args.GatewayPort}/v1") });
    }

    [Fact]
    public async Task The_openai_sdk_runs_a_tool_loop_through_the_gateway()
    {
        var chat = (await ClientAsync()).GetChatClient("sim-small");
        List<OpenAI.Chat.ChatMessage> messages = [new UserChatMessage("What is the weather in city=Oslo? Use get_weather.")];
        var options = new ChatCompletionOptions { Tools = { Weather } };

        ChatCompletion first = await chat.CompleteChatAsync(messages, options);
        var call = Assert.Single(first.ToolCalls);
        using var arguments = JsonDocument.Parse(call.FunctionArguments);
        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, "Oslo: 4 degrees and light snow"));
        ChatCompletion final = await chat.CompleteChatAsync(messages, options);

        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        Assert.StartsWith("call_", call.Id);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Oslo", arguments.RootElement.GetProperty("city").GetString());
        Assert.Equal("celsius", arguments.RootElement.GetProperty("unit").GetString());
        Assert.Equal(ChatFinishReason.Stop, final.FinishReason);
        Assert.Empty(final.ToolCalls);
        Assert.Contains("4 degrees and light snow", final.Content[0].Text);
        // The second turn's prompt carries the tools, the call and its result: it is longer than the first.
        Assert.True(final.Usage.InputTokenCount > first.Usage.InputTokenCount);
    }

    [Fact]
    public async Task Streamed_tool_call_deltas_assemble_into_the_call_a_whole_answer_gives()
    {
        var chat = (await ClientAsync()).GetChatClient("sim-small");
        List<OpenAI.Chat.ChatMessage> messages = [new UserChatMessage("Look something up for city=Lima")];
        var options = new ChatCompletionOptions { Tools = { Weather }, ToolChoice = ChatToolChoice.CreateRequiredChoice() };

        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var argumentText = new Dictionary<int, StringBuilder>();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                if (part.ToolCallId is { } id)
                {
                    ids[part.Index] = id;
                    names[part.Index] = part.FunctionName;
                }
                (argumentText.TryGetValue(part.Index, out var text) ? text : argumentText[part.Index] = new StringBuilder()).Append(part.FunctionArgumentsUpdate?.ToString());
            }
            finish = update.FinishReason ?? finish;
            usage = update.Usage ?? usage;
        }
        ChatCompletion whole = await chat.CompleteChatAsync(messages, options);

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        var call = Assert.Single(whole.ToolCalls);
        Assert.Equal(call.Id, Assert.Single(ids).Value);
        Assert.Equal("get_weather", names[0]);
        Assert.Equal(call.FunctionArguments.ToString(), argumentText[0].ToString());
        Assert.Equal("Lima", JsonDocument.Parse(argumentText[0].ToString()).RootElement.GetProperty("city").GetString());
        Assert.Equal(whole.Usage.OutputTokenCount, usage?.OutputTokenCount);
    }

    [Fact]
    public async Task Json_mode_and_json_schema_answers_parse()
    {
        var chat = (await ClientAsync()).GetChatClient("sim-small");
        var schema = BinaryData.FromString("""
            {"type": "object", "required": ["title", "priority", "labels"], "additionalProperties": false,
             "properties": {"title": {"type": "string"}, "priority": {"type": "integer", "minimum": 1, "maximum": 5}, "labels": {"type": "array", "items": {"type": "string"}}}}
            """);

        ChatCompletion json = await chat.CompleteChatAsync([new UserChatMessage("Describe the platform as JSON.")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() });
        ChatCompletion shaped = await chat.CompleteChatAsync([new UserChatMessage("File a ticket: title=\"Printer on fire\"")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("ticket", schema, jsonSchemaIsStrict: true) });

        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(json.Content[0].Text).RootElement.ValueKind);
        var ticket = JsonDocument.Parse(shaped.Content[0].Text).RootElement;
        Assert.Equal("Printer on fire", ticket.GetProperty("title").GetString());
        Assert.InRange(ticket.GetProperty("priority").GetInt32(), 1, 5);
        Assert.Equal(JsonValueKind.Array, ticket.GetProperty("labels").ValueKind);
    }

    [Fact]
    public async Task An_ichatclient_with_function_invocation_calls_the_dotnet_function_and_answers_with_its_result()
    {
        var invoked = new List<string>();
        var getWeather = AIFunctionFactory.Create((string city) =>
        {
            invoked.Add(city);
            return $"{city}: 21 degrees and sunny";
        }, "get_weather", "The current weather in a city");
        IChatClient client = (await ClientAsync()).GetChatClient("sim-small").AsIChatClient().AsBuilder().UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [getWeather] };

        var response = await client.GetResponseAsync("Please use get_weather for city=Paris", options);
        var streamed = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync("And get_weather for city=Rome?", options))
        {
            streamed.Append(update.Text);
        }

        Assert.Equal(["Paris", "Rome"], invoked);
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionCallContent>().Any(c => c.Name == "get_weather"));
        Assert.Contains("21 degrees and sunny", response.Text);
        Assert.Contains("Rome: 21 degrees and sunny", streamed.ToString());
    }
}
