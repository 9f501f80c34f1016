using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;

namespace AgentCloud.InferenceRouter.Tests;

/// <summary>
/// Streams through the router. The slow simulator runs on a fake clock with one second per output token: while the
/// test does not advance that clock the upstream cannot finish, so any chunk the client reads was passed through
/// before the answer ended.
/// </summary>
[Collection(RouterCollection.Name)]
public sealed class StreamingTests(RouterPlatform platform)
{
    private static JsonObject SlowStream(int tokens, bool includeUsage = false) =>
        Chat.Body("stream to me " + Guid.NewGuid(), model: "sim-slow", extra: b =>
        {
            b["stream"] = true;
            b["max_tokens"] = tokens;
            b["min_tokens"] = tokens;
            if (includeUsage) b["stream_options"] = new JsonObject { ["include_usage"] = true };
        });

    private static async Task<HttpResponseMessage> OpenStreamAsync(HttpClient client, JsonObject body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            Assert.Fail($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        return response;
    }

    /// <summary>Reads events until one carries content, returning it.</summary>
    private static async Task<string> NextContentAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)) is { } line)
        {
            if (line.StartsWith("data: {", StringComparison.Ordinal)
                && JsonNode.Parse(line[6..])!["choices"]?[0]?["delta"]?["content"]?.GetValue<string>() is { Length: > 0 } content)
            {
                return content;
            }
        }
        throw new InvalidOperationException("The stream ended without content.");
    }

    [Fact]
    public async Task Chunks_arrive_before_the_answer_ends_and_the_stream_is_metered_once()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);
        using var response = await OpenStreamAsync(client, SlowStream(5));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // The upstream still owes four tokens, one fake second each, and nobody has moved its clock.
        var first = await NextContentAsync(reader);
        Assert.False(string.IsNullOrWhiteSpace(first));

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

        Assert.EndsWith("data: [DONE]\n\n", rest);
        // The client did not ask for usage: the router asked upstream for it, metered it, and kept it to itself.
        Assert.DoesNotContain("\"usage\"", rest);
        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(("ok", 5L), (usage.Status, usage.OutputTokens));
        Assert.True(usage.InputTokens > 0);
    }

    [Fact]
    public async Task A_client_abort_mid_stream_yields_exactly_one_usage_event_with_the_tokens_so_far()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);
        var response = await OpenStreamAsync(client, SlowStream(50));
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await NextContentAsync(reader);

        reader.Dispose();
        response.Dispose();

        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1);
        await Task.Delay(500);
        events = await UsageStream.ForTenantAsync(platform.Redis.Connection, tenant.TenantId);
        var usage = Assert.Single(events);
        Assert.Equal("aborted", usage.Status);
        Assert.Equal(1, usage.OutputTokens);
        Assert.True(usage.InputTokens > 0);
    }

    [Fact]
    public async Task A_stream_that_asks_for_usage_gets_the_usage_chunk_and_the_same_counts_are_metered()
    {
        var tenant = platform.Policies.Add("pro");
        using var client = platform.Router.ClientFor(tenant);
        var body = Chat.Body("fast stream " + Guid.NewGuid(), extra: b =>
        {
            b["stream"] = true;
            b["max_tokens"] = 12;
            b["min_tokens"] = 12;
            b["stream_options"] = new JsonObject { ["include_usage"] = true };
        });

        using var response = await OpenStreamAsync(client, body);
        var text = await response.Content.ReadAsStringAsync();

        var usageChunk = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => e.StartsWith("data: {", StringComparison.Ordinal)).Select(e => JsonNode.Parse(e[6..])!)
            .Single(c => c["usage"] is JsonObject);
        Assert.Equal(12, usageChunk["usage"]!["completion_tokens"]!.GetValue<int>());
        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(("ok", 12L, usageChunk["usage"]!["prompt_tokens"]!.GetValue<long>()), (usage.Status, usage.OutputTokens, usage.InputTokens));
    }
}
