#pragma warning disable OPENAI001 // the SDK marks its Responses client experimental
using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Responses;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// What agent frameworks call through the Gateway with the OpenAI .NET SDK: the Responses API (whole, streamed, and a
/// function-tool round trip), an IChatClient over it, GET /v1/models/{id}, and token-array embeddings.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ResponsesApiEndToEndTests(PlatformFixture platform)
{
    private static readonly ResponseTool Weather = ResponseTool.CreateFunctionTool("get_weather",
        BinaryData.FromString("""{"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}"""),
        strictModeEnabled: false, functionDescription: "The current weather in a city");

    private async Task<OpenAIClient> ClientAsync()
    {
        var (_, key) = await platform.NewTenantAsync("pro", "responses-sdk");
        return new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri($"http://127.0.0.1:{platform.Args.GatewayPort}/v1") });
    }

    [Fact]
    public async Task The_openai_sdk_creates_a_response_through_the_gateway()
    {
        var responses = (await ClientAsync()).GetResponsesClient();

        ResponseResult response = await responses.CreateResponseAsync(new CreateResponseOptions("sim-small", [ResponseItem.CreateUserMessageItem("Say hello to the platform.")])
        {
            Instructions = "Answer briefly.",
            MaxOutputTokenCount = 16,
            StoredOutputEnabled = false,
        });

        Assert.StartsWith("resp_", response.Id);
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.False(string.IsNullOrWhiteSpace(response.GetOutputText()));
        Assert.True(response.Usage.InputTokenCount > 0);
        Assert.InRange(response.Usage.OutputTokenCount, 1, 16);
        Assert.Equal(0, response.Usage.InputTokenDetails.CachedTokenCount);
    }

    [Fact]
    public async Task The_openai_sdk_streams_a_response_through_the_gateway()
    {
        var responses = (await ClientAsync()).GetResponsesClient();
        var deltas = new List<string>();
        ResponseResult? completed = null;

        await using var stream = await responses.CreateResponseStreamingAsync(new CreateResponseOptions("sim-small", [ResponseItem.CreateUserMessageItem("Stream a few words.")])
        {
            StreamingEnabled = true,
        });
        await foreach (var update in stream)
        {
            switch (update)
            {
                case StreamingResponseOutputTextDeltaUpdate delta:
                    deltas.Add(delta.Delta);
                    break;
                case StreamingResponseCompletedUpdate done:
                    completed = done.Response;
                    break;
            }
        }

        Assert.NotEmpty(deltas);
        Assert.NotNull(completed);
        Assert.Equal(string.Concat(deltas), completed.GetOutputText());
        Assert.True(completed.Usage.OutputTokenCount > 0);
    }

    [Fact]
    public async Task The_openai_sdk_runs_a_function_tool_round_trip_over_the_responses_api()
    {
        var responses = (await ClientAsync()).GetResponsesClient();
        List<ResponseItem> input = [ResponseItem.CreateUserMessageItem("What is the weather in city=Oslo? Use get_weather.")];

        ResponseResult first = await responses.CreateResponseAsync(new CreateResponseOptions("sim-small", input) { Tools = { Weather } });
        var call = Assert.IsType<FunctionCallResponseItem>(Assert.Single(first.OutputItems));
        using var arguments = JsonDocument.Parse(call.FunctionArguments);
        input.Add(call);
        input.Add(ResponseItem.CreateFunctionCallOutputItem(call.CallId, "Oslo: 4 degrees and light snow"));
        ResponseResult final = await responses.CreateResponseAsync(new CreateResponseOptions("sim-small", input) { Tools = { Weather } });

        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Oslo", arguments.RootElement.GetProperty("city").GetString());
        Assert.Contains("4 degrees and light snow", final.GetOutputText());
        Assert.True(final.Usage.InputTokenCount > first.Usage.InputTokenCount);
    }

    [Fact]
    public async Task An_ichatclient_over_the_responses_client_invokes_a_dotnet_function()
    {
        var invoked = new List<string>();
        var weather = AIFunctionFactory.Create((string city) =>
        {
            invoked.Add(city);
            return $"{city}: 4 degrees and light snow";
        }, "get_weather", "The current weather in a city");
        IChatClient client = new ChatClientBuilder((await ClientAsync()).GetResponsesClient().AsIChatClient("sim-small")).UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync("What is the weather in city=Bergen? Use get_weather.", new ChatOptions { Tools = [weather] });

        Assert.Equal(["Bergen"], invoked);
        Assert.Contains("Bergen: 4 degrees and light snow", response.Text);
    }

    [Fact]
    public async Task A_model_is_looked_up_by_id_and_token_arrays_embed_through_the_gateway()
    {
        var openai = await ClientAsync();

        var model = await openai.GetOpenAIModelClient().GetModelAsync("sim-small");
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => openai.GetOpenAIModelClient().GetModelAsync("no-such-model"));
        var embeddings = await openai.GetEmbeddingClient("sim-small").GenerateEmbeddingsAsync([new ReadOnlyMemory<int>([9906, 1917]), new ReadOnlyMemory<int>([15339, 1917, 0])]);

        Assert.Equal("sim-small", model.Value.Id);
        Assert.Equal(404, missing.Status);
        Assert.Equal(2, embeddings.Value.Count);
        Assert.Equal(5, embeddings.Value.Usage.InputTokenCount);
    }
}
