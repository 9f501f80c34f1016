using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Demo;
using AgentCloud.Cli.Infrastructure;
using System.Globalization;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud demo</c>: three tenants' agents side by side, and a summary per tenant (operator key).</summary>
internal static class DemoCommand
{
    public static Command Build(CliRunner runner, Func<HttpClient> http)
    {
        var chats = new Option<int>("--chats") { Description = "Chat calls each agent makes", DefaultValueFactory = _ => 5 };
        var noisy = new Option<int>("--noisy") { Description = "Extra calls the free tenant floods with", DefaultValueFactory = _ => 150 };
        var toolServer = new Option<string?>("--tool-server")
        {
            Description = "MCP endpoint of the sample ticket server the tenants register (default AGENTCLOUD_SAMPLE_TOOLS_URL, else http://127.0.0.1:8091/mcp; 'none' skips tools)",
        };
        var demo = new Command("demo", "Run the demo workload: free, pro and enterprise agents side by side, a noisy free tenant") { chats, noisy, toolServer };
        runner.Bind(demo, async (c, ct) =>
        {
            var settings = c.Gateway.Settings;
            if (settings.Key is null)
            {
                throw new CliUsageException("The demo creates tenants: give the operator key with --key or AGENTCLOUD_KEY.");
            }
            var log = c.Output.Json ? TextWriter.Null : new OutputLog(c.Output);
            var tools = c.Parse.GetValue(toolServer) ?? c.Env("AGENTCLOUD_SAMPLE_TOOLS_URL") ?? "http://127.0.0.1:8091/mcp";
            var results = await c.Output.WithProgressAsync("Running three tenants' agents…",
                () => new DemoRunner(http, settings.Url, settings.Key, log, tools == "none" ? null : tools).RunAsync(c.Parse.GetValue(chats), c.Parse.GetValue(noisy), ct));
            if (c.Output.Json)
            {
                c.Output.WriteJson(JsonNode.Parse(DemoRunner.ToJson(results)));
                return ExitCodes.Ok;
            }
            var rows = results.Select(r => (JsonNode?)new JsonObject
            {
                ["tenantId"] = r.TenantId, ["tier"] = r.Tier, ["isolation"] = r.Isolation, ["requests"] = r.Requests.ToString(CultureInfo.InvariantCulture),
                ["rateLimited"] = r.RateLimited.ToString(CultureInfo.InvariantCulture), ["noisyRateLimited"] = $"{r.NoisyRateLimited} of {r.NoisyRequests}",
                ["promptTokens"] = r.PromptTokens.ToString(CultureInfo.InvariantCulture), ["completionTokens"] = r.CompletionTokens.ToString(CultureInfo.InvariantCulture),
                ["weightedTokens"] = r.WeightedTokens.ToString(CultureInfo.InvariantCulture), ["cost"] = r.Cost.ToString("0.000000", CultureInfo.InvariantCulture),
                ["p50Ms"] = r.P50Ms.ToString("0.0", CultureInfo.InvariantCulture), ["p99Ms"] = r.P99Ms.ToString("0.0", CultureInfo.InvariantCulture),
                ["tools"] = r.ToolsSkipped is null ? $"{r.ToolCalls - r.ToolErrors}/{r.ToolCalls}" : "skipped",
            });
            c.Output.WideWhenRedirected().WriteTable(rows,
                ("TENANT", "tenantId"), ("TIER", "tier"), ("ISOLATION", "isolation"), ("REQUESTS", "requests"), ("429s", "rateLimited"),
                ("NOISY 429s", "noisyRateLimited"), ("PROMPT", "promptTokens"), ("COMPLETION", "completionTokens"),
                ("WEIGHTED", "weightedTokens"), ("COST $", "cost"), ("TOOLS ok/calls", "tools"), ("P50 ms", "p50Ms"), ("P99 ms", "p99Ms"));
            c.Output.WriteLine("Traces: open the Aspire dashboard (http://127.0.0.1:15081) > Traces, and filter on tenant.id.");
            return ExitCodes.Ok;
        });
        return demo;
    }

    /// <summary>Progress lines for people, through the command's output.</summary>
    private sealed class OutputLog(CliOutput output) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void WriteLine(string? value) => output.WriteLine(value ?? "");
    }
}
