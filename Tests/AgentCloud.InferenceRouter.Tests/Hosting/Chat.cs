using System.Text;
using System.Text.Json.Nodes;

namespace AgentCloud.InferenceRouter.Tests.Hosting;

/// <summary>Chat request bodies and the answers' fields tests look at.</summary>
public static class Chat
{
    public static JsonObject Body(string content, string model = "sim-small", Action<JsonObject>? extra = null)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
        };
        extra?.Invoke(body);
        return body;
    }

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, JsonObject body) =>
        await client.PostAsync("/v1/chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    public static async Task<JsonNode> CompleteAsync(HttpClient client, JsonObject body)
    {
        using var response = await PostAsync(client, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public static int CachedTokens(JsonNode answer) => answer["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>();

    public static int PromptTokens(JsonNode answer) => answer["usage"]!["prompt_tokens"]!.GetValue<int>();

    public static double ModelledTtftMs(JsonNode answer) => answer["simulator"]!["ttft_ms"]!.GetValue<double>();

    public static string Instance(JsonNode answer) => answer["simulator"]!["instance"]!.GetValue<string>();
}
