using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.Bench.Cache;

/// <summary>
/// What one streamed call reported: the replica that served it, its prompt and cached tokens, its time to first token
/// as the client saw it, and as the simulator modelled it (queue plus prefill: free of this host's CPU noise).
/// </summary>
public sealed record CallResult(string Replica, int PromptTokens, int CachedTokens, double TtftMs, double ModelledTtftMs);

/// <summary>A scenario's totals: hit rate, mean time to first token, and how evenly the replicas shared the calls.</summary>
public sealed record ScenarioResult(string Name, int Replicas, IReadOnlyList<CallResult> Calls)
{
    public double HitRate => Calls.Sum(c => (double)c.CachedTokens) / Calls.Sum(c => (double)c.PromptTokens);
    public double MeanTtftMs => Calls.Average(c => c.TtftMs);
    public double MeanModelledTtftMs => Calls.Average(c => c.ModelledTtftMs);
    public IReadOnlyDictionary<string, int> PerReplica => Calls.GroupBy(c => c.Replica).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>The busiest replica's calls over the mean per replica (1.0 is perfectly even; replicas that got nothing count as zero).</summary>
    public double MaxLoadOverMean => PerReplica.Values.Max() / ((double)Calls.Count / Replicas);
}

/// <summary>Runs the workload through one router with a bounded number of calls in flight, each a stream with usage.</summary>
public static class ScenarioRun
{
    public static async Task<IReadOnlyList<CallResult>> RunAsync(RouterHost router, IReadOnlyList<TenantContext> tenants, IReadOnlyList<WorkloadCall> calls, int concurrency)
    {
        var clients = tenants.Select(router.ClientFor).ToArray();
        var results = new CallResult[calls.Count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < calls.Count)
            {
                results[i] = await CallAsync(clients[calls[i].Tenant], calls[i].Body);
            }
        }));
        foreach (var client in clients)
        {
            client.Dispose();
        }
        return results;
    }

    private static async Task<CallResult> CallAsync(HttpClient client, string body)
    {
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        double? ttft = null;
        JsonNode? usageChunk = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal))
            {
                continue;
            }
            var chunk = JsonNode.Parse(line[6..])!;
            if (ttft is null && chunk["choices"]?[0]?["delta"]?["content"]?.GetValue<string>() is { Length: > 0 })
            {
                ttft = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            if (chunk["usage"] is not null)
            {
                usageChunk = chunk;
            }
        }
        var usage = usageChunk?["usage"] ?? throw new InvalidOperationException("The stream ended without its usage chunk.");
        var simulator = usageChunk["simulator"]!;
        return new CallResult(simulator["instance"]!.GetValue<string>(), usage["prompt_tokens"]!.GetValue<int>(),
            usage["prompt_tokens_details"]?["cached_tokens"]?.GetValue<int>() ?? 0, ttft ?? Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            simulator["ttft_ms"]!.GetValue<double>() + simulator["queue_ms"]!.GetValue<double>());
    }
}
