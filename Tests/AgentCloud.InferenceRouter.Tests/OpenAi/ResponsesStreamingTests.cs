using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;

namespace AgentCloud.InferenceRouter.Tests.OpenAi;

/// <summary>
/// Streamed responses against the slow simulator (one fake second per output token, clock held by the test): events
/// reach the client while the upstream is still generating, and an abort is billed once, like a chat stream.
/// </summary>
[Collection(RouterCollection.Name)]
public sealed class ResponsesStreamingTests(RouterPlatform platform)
{
    private static async Task<HttpResponseMessage> OpenAsync(HttpClient client, int tokens)
    {
        var body = new JsonObject
        {
            ["model"] = "sim-slow",
            ["input"] = "stream to me " + Guid.NewGuid(),
            ["max_output_tokens"] = tokens,
            ["stream"] = true,
        };
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            // Read only on failure: a successful body does not end until the test moves the clock.
            Assert.Fail($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        return response;
    }

    /// <summary>Reads events until the first text delta, returning the types seen on the way.</summary>
    private static async Task<List<string>> UntilFirstDeltaAsync(StreamReader reader)
    {
        var types = new List<string>();
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                types.Add(JsonNode.Parse(line[6..])!["type"]!.GetValue<string>());
                if (types[^1] == "response.output_text.delta")
                {
                    return types;
                }
            }
        }
        throw new InvalidOperationException("The stream ended without a text delta.");
    }

    [Fact]
    public async Task Events_arrive_while_the_upstream_is_still_generating()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);
        using var response = await OpenAsync(client, 4);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // Three tokens are still owed, one fake second each, and nobody has moved the clock.
        var types = await UntilFirstDeltaAsync(reader);

        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta"], types);
        using var ticking = new CancellationTokenSource();
        var clock = Task.Run(async () =>
        {
            while (!ticking.IsCancellationRequested)
            {
                platform.SlowClock.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10);
            }
        });
        var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await ticking.CancelAsync();
        await clock;
        Assert.Contains("event: response.incomplete", rest);
        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(("ok", 4L), (usage.Status, usage.OutputTokens));
    }

    [Fact]
    public async Task A_client_abort_mid_stream_is_billed_once_for_the_tokens_so_far()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);
        var response = await OpenAsync(client, 50);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await UntilFirstDeltaAsync(reader);

        reader.Dispose();
        response.Dispose();

        await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1);
        await Task.Delay(500);
        var usage = Assert.Single(await UsageStream.ForTenantAsync(platform.Redis.Connection, tenant.TenantId));
        Assert.Equal(("aborted", 1L), (usage.Status, usage.OutputTokens));
        Assert.True(usage.InputTokens > 0);
    }
}
