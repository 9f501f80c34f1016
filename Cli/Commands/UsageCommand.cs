using System.CommandLine;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud usage</c>: your tenant's usage and cost, or with <c>--tenant</c> any tenant's (operator key).</summary>
internal static class UsageCommand
{
    public static Command Build(CliRunner runner)
    {
        var from = new Option<DateTimeOffset?>("--from") { Description = "Start (ISO 8601)" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "End (ISO 8601)" };
        var tenant = new Option<string?>("--tenant") { Description = "A tenant's usage (operator key)" };
        var usage = new Command("usage", "Usage and cost by model") { from, to, tenant };
        runner.Bind(usage, async (c, ct) =>
        {
            var query = new List<string>();
            if (c.Parse.GetValue(from) is { } f) query.Add("from=" + Uri.EscapeDataString(f.ToString("O")));
            if (c.Parse.GetValue(to) is { } t) query.Add("to=" + Uri.EscapeDataString(t.ToString("O")));
            var path = c.Parse.GetValue(tenant) is { } id ? "/admin/v1/usage" : "/v1/usage";
            if (c.Parse.GetValue(tenant) is { } tenantId) query.Add("tenantId=" + Uri.EscapeDataString(tenantId));
            if (path == "/v1/usage") query.Add("groupBy=model");
            var rows = await c.Gateway.GetAsync(path + (query.Count > 0 ? "?" + string.Join('&', query) : ""), ct);
            if (c.Output.Json) c.Output.WriteJson(rows);
            else c.Output.WriteTable(JsonList.Items(rows, "rows", "usage"), ("TENANT", "tenantId"), ("MODEL", "model"), ("INPUT", "inputTokens"),
                ("OUTPUT", "outputTokens"), ("WEIGHTED", "weightedTokens"), ("COST", "cost"));
            return ExitCodes.Ok;
        });
        return usage;
    }
}
