using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;
using System.Globalization;

namespace AgentCloud.Cli.Demo;

/// <summary>One tenant's line in the demo's summary.</summary>
public sealed record DemoTenantResult(
    string TenantId, string Tier, string Isolation, int Requests, int RateLimited, long PromptTokens, long CompletionTokens,
    long WeightedTokens, double Cost, double P50Ms, double P99Ms, string? MemoryTopHit, bool FileRoundTrip, int NoisyRequests, int NoisyRateLimited,
    int Chats = 0, int Errors = 0, string? LastError = null, int ToolsListed = 0, int ToolCalls = 0, int ToolErrors = 0, string? ToolsSkipped = null, int ModelCalls = 0);

/// <summary>
/// The demo workload: three tenants (free, pro, enterprise) each run a small Python agent inside a sandbox that
/// calls the platform with the run key the broker injected; the free tenant also sends far more than its limit.
/// Each tenant registers the sample ticket server with its own vault credential, and its agent runs a tool loop
/// through <c>/v1/mcp</c> with a run key granted <c>tool:tickets.create</c> only.
/// Everything goes through the public API, as a user's own tooling would.
/// </summary>
public sealed class DemoRunner(Func<HttpClient> http, Uri gateway, string operatorKey, TextWriter log, string? toolServerUrl = null)
{
    public static readonly string[] Tiers = ["free", "pro", "enterprise"];

    /// <summary>The tool the agents use: the sample server registered as <c>tickets</c>, its tool <c>create</c>.</summary>
    public const string DemoTool = "tickets.create";

    private static readonly string[] RunCapabilities = ["inference", "memory:read", "memory:write", "tool:" + DemoTool];

    public async Task<IReadOnlyList<DemoTenantResult>> RunAsync(int chats, int noisyRequests, CancellationToken ct)
    {
        var admin = Client(operatorKey);
        var suffix = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        var tenants = new List<(string Id, string Tier, string Key)>();
        foreach (var tier in Tiers)
        {
            var tenant = await admin.PostAsync("/admin/v1/tenants", new JsonObject
            {
                ["name"] = $"demo-{tier}-{suffix}", ["tier"] = tier, ["tools"] = new JsonArray(DemoTool),
            }, ct);
            var id = tenant!["id"]!.GetValue<string>();
            var key = await admin.PostAsync($"/admin/v1/tenants/{id}/keys", new JsonObject
            {
                ["name"] = "demo", ["capabilities"] = new JsonArray([.. RunCapabilities.Append("sandbox").Append("credentials:write").Select(c => (JsonNode)c)]),
            }, ct);
            tenants.Add((id, tier, key!["key"]!.GetValue<string>()));
            log.WriteLine($"Created {tier} tenant {id}.");
        }

        var runs = tenants.Select(t => RunTenantAsync(t.Id, t.Tier, t.Key, chats, t.Tier == "free" ? noisyRequests : 0, ct)).ToList();
        var partial = await Task.WhenAll(runs);

        var results = new List<DemoTenantResult>();
        foreach (var r in partial)
        {
            var usage = await admin.GetAsync($"/admin/v1/usage?tenantId={Uri.EscapeDataString(r.TenantId)}", ct);
            var rows = UsageRows(usage).ToList();
            results.Add(r with
            {
                WeightedTokens = rows.Sum(row => Long(row?["weightedTokens"])),
                Cost = rows.Sum(row => Double(row?["cost"])),
            });
        }
        return results;
    }

    private async Task<DemoTenantResult> RunTenantAsync(string tenantId, string tier, string key, int chats, int noisy, CancellationToken ct)
    {
        var client = Client(key);
        var toolsSkipped = await RegisterTicketServerAsync(client, ct);
        var noisyTask = noisy > 0 ? FloodAsync(client, noisy, ct) : Task.FromResult((0, 0));

        var sandbox = await PatientlyAsync(() => client.PostAsync("/v1/sandboxes", new JsonObject
        {
            ["timeoutSeconds"] = 600,
            // The run's key may chat, keep memory and create tickets: nothing else, and never more than this key.
            ["capabilities"] = new JsonArray([.. RunCapabilities.Select(c => (JsonNode)c)]),
        }, ct), ct);
        var sandboxId = sandbox!["id"]!.GetValue<string>();
        var isolation = sandbox["isolation"]?.GetValue<string>() ?? "?";
        try
        {
            await PatientlyAsync(async () => { await client.PutBytesAsync($"/v1/sandboxes/{sandboxId}/files/agent.py", AgentScript(), ct); return (JsonNode?)null; }, ct);
            var exec = await PatientlyAsync(() => client.PostAsync($"/v1/sandboxes/{sandboxId}/exec", new JsonObject
            {
                ["command"] = new JsonArray("python3", "agent.py", chats.ToString(CultureInfo.InvariantCulture), "sim-small", toolsSkipped is null ? DemoTool : ""),
                ["timeoutSeconds"] = 300,
                // Nothing of the tenant's is passed in: the broker injects AGENTCLOUD_URL (the Gateway through the
                // sandbox's egress proxy) and AGENTCLOUD_KEY, the run's own key that dies with the sandbox.
            }, ct), ct);
            var stdout = exec?["stdout"]?.GetValue<string>() ?? "";
            var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'))
                ?? throw new InvalidOperationException($"The {tier} agent printed no summary: {exec?["stderr"]}");
            var stats = JsonNode.Parse(line)!;
            var latencies = stats["latenciesMs"]!.AsArray().Select(v => v!.GetValue<double>()).Order().ToArray();
            var (noisySent, noisyLimited) = await noisyTask;
            log.WriteLine($"The {tier} agent finished in sandbox {sandboxId} ({isolation}).");
            return new DemoTenantResult(tenantId, tier, isolation, stats["requests"]!.GetValue<int>(), stats["rateLimited"]!.GetValue<int>(),
                stats["promptTokens"]!.GetValue<long>(), stats["completionTokens"]!.GetValue<long>(), 0, 0,
                Percentile(latencies, 0.50), Percentile(latencies, 0.99), stats["memoryTopHit"]?.GetValue<string>(),
                stats["fileRoundTrip"]!.GetValue<bool>(), noisySent, noisyLimited, stats["chats"]!.GetValue<int>(), stats["errors"]!.GetValue<int>(),
                stats["lastError"]?.GetValue<string>(), stats["toolsListed"]!.GetValue<int>(), stats["toolCalls"]!.GetValue<int>(),
                stats["toolErrors"]!.GetValue<int>(), toolsSkipped, stats["modelCalls"]?.GetValue<int>() ?? 0);
        }
        finally
        {
            await PatientlyAsync(() => client.DeleteAsync($"/v1/sandboxes/{sandboxId}", CancellationToken.None), CancellationToken.None);
        }
    }

    /// <summary>
    /// Stores a ticket-system token of the tenant's own in its vault and registers the sample server with it; answers
    /// why tools are skipped (no server given, or the platform refused it), or null when the agent may use them.
    /// </summary>
    private async Task<string?> RegisterTicketServerAsync(GatewayClient client, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(toolServerUrl))
        {
            return "no tool server given";
        }
        var token = "helpdesk-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        await PatientlyAsync(() => client.PutAsync("/v1/credentials/helpdesk", new JsonObject { ["secret"] = token }, ct), ct);
        try
        {
            await PatientlyAsync(() => client.PostAsync("/v1/tools/servers", new JsonObject
            {
                ["name"] = "tickets", ["url"] = toolServerUrl, ["integration"] = "helpdesk",
            }, ct), ct);
            return null;
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.BadRequest)
        {
            log.WriteLine($"Tools skipped: the platform refused the tool server ({e.Message}).");
            return e.Message;
        }
    }

    /// <summary>The demo's own setup calls share the tenant's rate limit with its flood: on 429 or 503 wait as told and try again.</summary>
    private static async Task<JsonNode?> PatientlyAsync(Func<Task<JsonNode?>> call, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (ApiException e) when (e.Status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && attempt < 30)
            {
                await Task.Delay(e.RetryAfter ?? TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    /// <summary>The noisy neighbour: many small calls at once, far past the tenant's requests-per-minute.</summary>
    private static async Task<(int Sent, int Limited)> FloodAsync(GatewayClient client, int count, CancellationToken ct)
    {
        var limited = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, token) =>
        {
            try
            {
                await client.GetAsync("/v1/models", token);
            }
            catch (ApiException e) when (e.Status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
            {
                // 503: the limit could not be checked in time and the free tier fails closed; refused all the same.
                Interlocked.Increment(ref limited);
            }
        });
        return (count, limited);
    }

    private GatewayClient Client(string key) => new(http(), new CliSettings(gateway, key));

    private static byte[] AgentScript()
    {
        using var stream = typeof(DemoRunner).Assembly.GetManifestResourceStream("agent.py")!;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static IEnumerable<JsonNode?> UsageRows(JsonNode? usage) =>
        usage switch { JsonArray a => a, JsonObject o => (o["rows"] ?? o["usage"] ?? o["data"]) as JsonArray ?? [], _ => [] };

    private static long Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var l) ? l : 0;

    private static double Double(JsonNode? n) => n is JsonValue v && (v.TryGetValue<double>(out var d) || double.TryParse(v.ToString(), out d)) ? d : 0;

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    public static string ToJson(IReadOnlyList<DemoTenantResult> results) => JsonSerializer.Serialize(results, JsonSerializerOptions.Web);
}
