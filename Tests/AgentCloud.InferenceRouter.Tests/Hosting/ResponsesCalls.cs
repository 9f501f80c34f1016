using System.Text;
using System.Text.Json.Nodes;

namespace AgentCloud.InferenceRouter.Tests.Hosting;

/// <summary>Responses API calls and the server-sent events of a streamed one.</summary>
public static class ResponsesCalls
{
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, JsonObject body) =>
        await client.PostAsync("/v1/responses", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    public static async Task<JsonNode> CreateAsync(HttpClient client, JsonObject body)
    {
        using var response = await PostAsync(client, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!;
    }

    /// <summary>The events of a streamed response, each with its <c>event:</c> name checked against its <c>type</c>.</summary>
    public static async Task<List<JsonObject>> StreamAsync(HttpClient client, JsonObject body)
    {
        body["stream"] = true;
        using var response = await PostAsync(client, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<JsonObject>();
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            var name = lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..];
            var data = JsonNode.Parse(lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])!.AsObject();
            Assert.Equal(name, data["type"]!.GetValue<string>());
            events.Add(data);
        }
        return events;
    }

    public static JsonObject Body(JsonNode input, string model = "sim-small", Action<JsonObject>? extra = null)
    {
        var body = new JsonObject { ["model"] = model, ["input"] = input };
        extra?.Invoke(body);
        return body;
    }

    public static string Type(JsonNode e) => e["type"]!.GetValue<string>();

    /// <summary>The text of every output_text part of the response's message items.</summary>
    public static string OutputText(JsonNode response) => string.Concat(
        response["output"]!.AsArray().Where(i => i!["type"]!.GetValue<string>() == "message")
            .SelectMany(i => i!["content"]!.AsArray()).Select(p => p!["text"]!.GetValue<string>()));
}
