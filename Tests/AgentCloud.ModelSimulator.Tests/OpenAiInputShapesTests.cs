using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentCloud.ModelSimulator.Inference;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.ModelSimulator.Tests;

/// <summary>The input shapes agent frameworks send that the simulator, as the test upstream, must take: token arrays and images.</summary>
public sealed class OpenAiInputShapesTests(SimulatorApiTests.Host host) : IClassFixture<SimulatorApiTests.Host>
{
    private static readonly SimTokenizer Tokenizer = new();

    [Fact]
    public async Task Token_arrays_embed_as_the_text_they_encode_and_count_their_length()
    {
        var ids = Tokenizer.Encode("vectors for the memory service").ToArray();

        var fromText = await host.Client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = "vectors for the memory service" });
        var fromTokens = await host.Client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = new[] { ids, ids } });
        var text = (await fromText.Content.ReadFromJsonAsync<JsonNode>())!;
        var tokens = (await fromTokens.Content.ReadFromJsonAsync<JsonNode>())!;

        Assert.Equal(HttpStatusCode.OK, fromTokens.StatusCode);
        Assert.Equal(text["data"]![0]!["embedding"]!.ToJsonString(), tokens["data"]![1]!["embedding"]!.ToJsonString());
        Assert.Equal(2 * ids.Length, tokens["usage"]!["prompt_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_token_id_beyond_the_vocabulary_is_refused()
    {
        using var response = await host.Client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = new[] { 1, SimTokenizer.VocabularySize } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Image_parts_are_accepted_ignored_for_the_answer_and_billed_at_the_fixed_estimate()
    {
        var text = new JsonObject { ["type"] = "text", ["text"] = "Answer in JSON" };
        var image = new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "https://example.com/a.png" } };
        var body = new JsonObject
        {
            ["model"] = "sim-small",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = new JsonArray(text, image) }),
            ["response_format"] = new JsonObject { ["type"] = "json_object" },
        };
        var textOnly = Tokenizer.Count(PromptText.Render(ChatRequestReader.TryRead(new JsonObject
        {
            ["model"] = "sim-small",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Answer in JSON" }),
        }, 4096, out _)!));

        using var response = await host.Client.PostAsJsonAsync("/v1/chat/completions", body);
        var answer = (await response.Content.ReadFromJsonAsync<JsonNode>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.IsType<JsonObject>(JsonNode.Parse(answer["choices"]![0]!["message"]!["content"]!.GetValue<string>()));
        Assert.Equal(textOnly + PromptText.ImageTokens, answer["usage"]!["prompt_tokens"]!.GetValue<int>());
    }
}
