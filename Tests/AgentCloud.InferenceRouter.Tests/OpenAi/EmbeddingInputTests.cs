using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;
using Microsoft.ML.Tokenizers;

namespace AgentCloud.InferenceRouter.Tests.OpenAi;

/// <summary>Every embeddings input shape OpenAI accepts, LangChain's token arrays included, metered by their length.</summary>
[Collection(RouterCollection.Name)]
public sealed class EmbeddingInputTests(RouterPlatform platform)
{
    private static readonly TiktokenTokenizer Tokenizer = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    private static async Task<JsonNode> EmbedAsync(HttpClient client, object input)
    {
        using var response = await client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static float[] Vector(JsonNode list, int i) => list["data"]![i]!["embedding"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();

    [Fact]
    public async Task Strings_a_token_array_and_token_arrays_embed_alike_and_are_metered_by_length()
    {
        var tenant = platform.Policies.Add("pro");
        using var client = platform.Router.ClientFor(tenant);
        var texts = new[] { "the cache stays per tenant", "routers route requests" };
        var ids = texts.Select(t => Tokenizer.EncodeToIds(t).ToArray()).ToArray();

        var fromStrings = await EmbedAsync(client, texts);
        var fromTokenArrays = await EmbedAsync(client, ids);
        var fromOneTokenArray = await EmbedAsync(client, ids[0]);
        var fromOneString = await EmbedAsync(client, texts[0]);

        Assert.Equal(2, fromTokenArrays["data"]!.AsArray().Count);
        Assert.Equal(Vector(fromStrings, 0), Vector(fromTokenArrays, 0));
        Assert.Equal(Vector(fromStrings, 1), Vector(fromTokenArrays, 1));
        Assert.Equal(Vector(fromOneString, 0), Vector(fromOneTokenArray, 0));
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 4);
        var lengths = ids[0].Length + ids[1].Length;
        Assert.Equal(new long[] { lengths, lengths, ids[0].Length, ids[0].Length }.Order(), events.Select(e => e.InputTokens).Order());
    }

    [Fact]
    public async Task A_token_array_counts_its_length_against_the_context()
    {
        var tenant = platform.Policies.Add("pro", models: [new("sim-small", 16)]);
        using var client = platform.Router.ClientFor(tenant);

        using var fits = await client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = Enumerable.Repeat(1000, 16).ToArray() });
        using var tooLong = await client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = new[] { Enumerable.Repeat(1000, 17).ToArray() } });

        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("17", (await tooLong.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_token_id_outside_the_vocabulary_is_refused_by_the_model_and_not_billed_as_a_success()
    {
        var tenant = platform.Policies.Add("pro");
        using var client = platform.Router.ClientFor(tenant);

        using var response = await client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = new[] { 1, 2, 500_000 } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("vocabulary", (await response.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>());
    }
}
