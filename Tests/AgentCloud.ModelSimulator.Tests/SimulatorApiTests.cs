using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentCloud.ModelSimulator.Inference;

namespace AgentCloud.ModelSimulator.Tests;

public sealed class SimulatorApiTests(SimulatorApiTests.Host host) : IClassFixture<SimulatorApiTests.Host>
{
    public sealed class Host : IDisposable
    {
        public SimulatorFactory Factory { get; } = new();
        public HttpClient Client { get; }

        public Host() => Client = Factory.AuthorizedClient();

        public void Dispose() => Factory.Dispose();
    }

    private static object Chat(string content, object? extra = null)
    {
        var body = new JsonObject
        {
            ["model"] = "sim-small",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
        };
        if (extra is not null)
        {
            foreach (var (k, v) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(extra))!.AsObject())
            {
                body[k] = v?.DeepClone();
            }
        }
        return body;
    }

    private async Task<JsonNode> PostChatAsync(object body)
    {
        using var response = await host.Client.PostAsJsonAsync("/v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task A_chat_answer_reports_usage_and_honours_max_tokens()
    {
        var answer = await PostChatAsync(Chat("Tell me a long story " + Guid.NewGuid(), new { max_tokens = 5, min_tokens = 40 }));

        var content = answer["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        Assert.Equal(5, answer["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(5, new SimTokenizer().Count(content));
        Assert.Equal("length", answer["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Equal(answer["usage"]!["prompt_tokens"]!.GetValue<int>() + 5, answer["usage"]!["total_tokens"]!.GetValue<int>());
        Assert.Equal("test-sim", answer["simulator"]!["instance"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_same_prompt_gives_the_same_answer()
    {
        var prompt = "Deterministic please " + Guid.NewGuid();

        var first = await PostChatAsync(Chat(prompt));
        var second = await PostChatAsync(Chat(prompt));

        Assert.Equal(first["choices"]![0]!["message"]!["content"]!.GetValue<string>(), second["choices"]![0]!["message"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_repeated_prompt_reports_cached_tokens_and_a_faster_first_token_but_not_under_another_salt()
    {
        var prompt = string.Join(' ', Enumerable.Repeat("alpha beta gamma delta", 40)) + Guid.NewGuid();

        var cold = await PostChatAsync(Chat(prompt, new { cache_salt = "one" }));
        var warm = await PostChatAsync(Chat(prompt, new { cache_salt = "one" }));
        var otherSalt = await PostChatAsync(Chat(prompt, new { cache_salt = "two" }));

        Assert.Equal(0, cold["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());
        Assert.True(warm["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>() >= 144);
        Assert.True(warm["simulator"]!["ttft_ms"]!.GetValue<double>() < cold["simulator"]!["ttft_ms"]!.GetValue<double>());
        Assert.Equal(0, otherSalt["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_stream_sends_a_chunk_per_token_then_usage_then_done()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(Chat("stream " + Guid.NewGuid(), new { stream = true, max_tokens = 7, min_tokens = 7, stream_options = new { include_usage = true } })),
        };
        using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var text = await response.Content.ReadAsStringAsync();

        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        var contents = chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => c!["delta"]?["content"]?.GetValue<string>()).Where(c => !string.IsNullOrEmpty(c)).ToList();
        Assert.Equal(7, contents.Count);
        Assert.Equal("length", chunks[^2]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(7, chunks[^1]["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Embeddings_are_normalised_with_the_configured_dimensions_and_count_tokens()
    {
        using var response = await host.Client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = new[] { "hello world", "tiktoken is great!" } });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var first = body["data"]![0]!["embedding"]!.AsArray().Select(v => v!.GetValue<double>()).ToList();
        Assert.Equal(384, first.Count);
        Assert.Equal(1.0, Math.Sqrt(first.Sum(v => v * v)), 4);
        Assert.Equal(8, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(1, body["data"]![1]!["index"]!.GetValue<int>());
    }

    [Fact]
    public async Task Calls_without_the_upstream_key_are_refused()
    {
        using var anonymous = host.Factory.CreateClient();

        using var response = await anonymous.PostAsJsonAsync("/v1/chat/completions", Chat("hi"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task An_unknown_model_is_not_found()
    {
        using var response = await host.Client.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-9", messages = new[] { new { role = "user", content = "hi" } } });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("gpt-9", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[]}")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":-1}")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":99999999999}")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":32768}")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":\"hi\"}")]
    public async Task Bad_chat_bodies_are_refused_with_problem_details(string body)
    {
        using var response = await host.Client.PostAsync("/v1/chat/completions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }
}
