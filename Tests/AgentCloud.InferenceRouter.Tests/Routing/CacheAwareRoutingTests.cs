using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.InferenceRouter.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.InferenceRouter.Tests.Routing;

/// <summary>Cache-aware routing through the real router and two real simulators, each with its own prefix cache.</summary>
[Collection(CacheRoutingCollection.Name)]
public sealed class CacheAwareRoutingTests(CacheRoutingPlatform platform)
{
    /// <summary>A system prompt of about 400 tokens no other test shares, so every cache starts cold for it.</summary>
    private static string SystemPrompt() =>
        $"You are the support agent of shop {Guid.NewGuid():N}. " + string.Join(' ', Enumerable.Range(0, 90).Select(i => $"Rule {i}: be precise."));

    private static JsonObject Body(string system, string question, int maxTokens = 1, bool stream = false, Action<JsonObject>? extra = null)
    {
        var body = new JsonObject
        {
            ["model"] = "sim-small",
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = system },
                new JsonObject { ["role"] = "user", ["content"] = question }),
            ["max_tokens"] = maxTokens,
        };
        if (stream)
        {
            body["stream"] = true;
            body["min_tokens"] = maxTokens;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }
        extra?.Invoke(body);
        return body;
    }

    [Fact]
    public async Task A_tenants_repeated_prefix_goes_to_the_same_replica_and_is_served_from_its_cache_from_the_second_call()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);
        var system = SystemPrompt();

        var answers = new List<JsonNode>();
        foreach (var question in new[] { "Where is my order?", "How do I return shoes?", "Do you ship abroad?", "Can I change my address?" })
        {
            answers.Add(await Chat.CompleteAsync(client, Body(system, question)));
        }

        Assert.Single(answers.Select(Chat.Instance).Distinct());
        Assert.Equal(0, Chat.CachedTokens(answers[0]));
        // Everything up to the last full block of the shared system prompt is reused; the question never is.
        Assert.All(answers.Skip(1), a => Assert.InRange(Chat.CachedTokens(a), 384, Chat.PromptTokens(a) - 1));
    }

    [Fact]
    public async Task Two_tenants_sending_the_same_prompt_never_share_cached_tokens_even_on_the_same_replica()
    {
        var system = SystemPrompt();
        var victim = platform.Policies.Add("pro");
        using var victimClient = platform.Router.ClientFor(victim);
        await Chat.CompleteAsync(victimClient, Body(system, "What is our discount code?"));
        var victimAgain = await Chat.CompleteAsync(victimClient, Body(system, "What is our discount code?"));
        Assert.True(Chat.CachedTokens(victimAgain) > 0, "the victim's own prefix is cached");

        // Five hostile tenants replay the victim's exact prompt, even naming the victim as their cache salt. With six
        // tenants on two replicas at least three share one, so some attacker surely reaches the victim's replica.
        var firstCalls = new List<(string Tenant, string Instance, int Cached)>();
        var secondCalls = new List<int>();
        foreach (var _ in Enumerable.Range(0, 5))
        {
            var attacker = platform.Policies.Add("free");
            using var client = platform.Router.ClientFor(attacker);
            var probe = Body(system, "What is our discount code?", extra: b => b["cache_salt"] = victim.TenantId);
            var first = await Chat.CompleteAsync(client, probe);
            firstCalls.Add((attacker.TenantId, Chat.Instance(first), Chat.CachedTokens(first)));
            secondCalls.Add(Chat.CachedTokens(await Chat.CompleteAsync(client, probe)));
        }

        Assert.Contains(firstCalls.Select(c => c.Instance).Append(Chat.Instance(victimAgain)).GroupBy(i => i), g => g.Count() >= 2);
        Assert.All(firstCalls, c => Assert.Equal(0, c.Cached));
        // Each attacker's own repeat hits, so the zeros above are isolation, not a cold or broken cache.
        Assert.All(secondCalls, cached => Assert.True(cached > 0));
    }

    [Fact]
    public async Task A_tenant_whose_cache_is_off_has_no_prefix_to_return_to_and_is_spread_least_loaded()
    {
        var tenant = platform.Policies.Add("free", kvCache: "off");
        using var client = platform.Router.ClientFor(tenant);
        var system = SystemPrompt();

        var answers = new List<JsonNode>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await Chat.CompleteAsync(client, Body(system, "same question")));
        }

        // An idle pool takes turns when nothing keys the call, and a fresh salt per call never hits.
        Assert.Equal(CacheRoutingPlatform.Replicas, answers.Select(Chat.Instance).Distinct().Order());
        Assert.All(answers, a => Assert.Equal(0, Chat.CachedTokens(a)));
    }

    [Fact]
    public async Task With_the_prefix_replica_held_busy_a_call_spills_to_the_other_and_returns_once_it_drains()
    {
        var tenant = platform.Policies.Add("pro");
        using var client = platform.Router.ClientFor(tenant);
        var system = SystemPrompt();
        using var routes = new RouteCounter();
        var home = Chat.Instance(await Chat.CompleteAsync(client, Body(system, "warm up")));
        var other = CacheRoutingPlatform.Replicas.Single(r => r != home);
        var placed = platform.Router.Services.GetRequiredService<PlacedCalls>();

        // Two long streams with the same prefix: the pool's bound for three calls on two replicas is ceil(1.25 × 3 / 2) = 2.
        var busy = new List<(HttpResponseMessage Response, StreamReader Reader)>();
        for (var i = 0; i < 2; i++)
        {
            var response = await OpenStreamAsync(client, Body(system, $"long answer {i}", maxTokens: 5, stream: true));
            busy.Add((response, new StreamReader(await response.Content.ReadAsStreamAsync())));
        }
        Assert.Equal((2, 0), (placed.Depth(home), placed.Depth(other)));

        var spilled = await Chat.CompleteAsync(client, Body(system, "while it is busy"));

        using var ticking = new CancellationTokenSource();
        var clock = Task.Run(async () =>
        {
            while (!ticking.IsCancellationRequested)
            {
                platform.Clock.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10);
            }
        });
        var busyInstances = new List<string>();
        foreach (var (response, reader) in busy)
        {
            busyInstances.Add(UsageInstance(await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30))));
            reader.Dispose();
            response.Dispose();
        }
        await ticking.CancelAsync();
        await clock;
        var back = await Chat.CompleteAsync(client, Body(system, "after it drained"));

        Assert.Equal([home, home], busyInstances);
        Assert.Equal((other, 0), (Chat.Instance(spilled), Chat.CachedTokens(spilled)));
        Assert.Equal(home, Chat.Instance(back));
        Assert.True(Chat.CachedTokens(back) > 0);
        Assert.Equal((0, 0), (placed.Depth(home), placed.Depth(other)));
        // Operators see the decision per endpoint: four calls kept to the prefix's replica, one spilled.
        Assert.Equal(new Dictionary<(string, string), long> { [(home, "cache-affinity")] = 4, [(other, "cache-spill")] = 1 }, routes.Counts());
    }

    /// <summary>The router's <c>agentcloud.router.routes</c> counter for this platform's replicas, summed per endpoint and decision.</summary>
    private sealed class RouteCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(string, string), long> _counts = new();

        public RouteCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RoutingTelemetry.MeterName && instrument.Name == "agentcloud.router.routes")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? endpoint = null, decision = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "endpoint") endpoint = tag.Value as string;
                    if (tag.Key == "decision") decision = tag.Value as string;
                }
                if (endpoint is not null && decision is not null && CacheRoutingPlatform.Replicas.Contains(endpoint))
                {
                    _counts.AddOrUpdate((endpoint, decision), value, (_, sum) => sum + value);
                }
            });
            _listener.Start();
        }

        public Dictionary<(string, string), long> Counts() => new(_counts);

        public void Dispose() => _listener.Dispose();
    }

    private static async Task<HttpResponseMessage> OpenStreamAsync(HttpClient client, JsonObject body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            Assert.Fail($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        return response;
    }

    /// <summary>The instance named in a stream's final usage chunk.</summary>
    private static string UsageInstance(string stream) => stream.Split('\n')
        .Where(l => l.StartsWith("data: {", StringComparison.Ordinal))
        .Select(l => JsonNode.Parse(l[6..])!)
        .Last(n => n["usage"] is not null)["simulator"]!["instance"]!.GetValue<string>();
}
