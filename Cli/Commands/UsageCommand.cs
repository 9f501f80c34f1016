using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary>
/// <c>agentcloud usage</c>: your tenant's usage and cost, or with <c>--tenant</c> any tenant's (operator key), by model,
/// day, key or project, optionally of one project.
/// </summary>
internal static class UsageCommand
{
    /// <summary>How the table shows the row of keys of no project (the API's <c>projectId: null</c>).</summary>
    internal const string NoProject = "(none)";

    public static Command Build(CliRunner runner)
    {
        var from = new Option<DateTimeOffset?>("--from") { Description = "Start (ISO 8601)" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "End (ISO 8601)" };
        var tenant = new Option<string?>("--tenant") { Description = "A tenant's usage (operator key)" };
        var groupBy = new Option<string>("--group-by") { Description = "model, day, key, project or none (with --tenant: model, key or project)", DefaultValueFactory = _ => "model" };
        groupBy.AcceptOnlyFromAmong("model", "day", "key", "project", "none");
        var project = new Option<string?>("--project") { Description = "Only this project's usage (prj_…), or none: keys of no project" };
        var usage = new Command("usage", "Usage and cost by model, day, key or project") { from, to, tenant, groupBy, project };
        runner.Bind(usage, async (c, ct) =>
        {
            var grouping = c.Parse.GetValue(groupBy)!;
            var tenantId = c.Parse.GetValue(tenant);
            if (tenantId is not null && grouping is "day" or "none")
            {
                throw new CliUsageException($"--group-by {grouping} is for your own usage; with --tenant use model, key or project.");
            }
            var query = new List<string> { "groupBy=" + grouping };
            if (c.Parse.GetValue(from) is { } f) query.Add("from=" + Uri.EscapeDataString(f.ToString("O")));
            if (c.Parse.GetValue(to) is { } t) query.Add("to=" + Uri.EscapeDataString(t.ToString("O")));
            if (tenantId is not null) query.Add("tenantId=" + Uri.EscapeDataString(tenantId));
            if (c.Parse.GetValue(project) is { } p) query.Add("projectId=" + Uri.EscapeDataString(p));
            var path = tenantId is null ? "/v1/usage" : "/admin/v1/usage";
            var rows = await c.Gateway.GetAsync($"{path}?{string.Join('&', query)}", ct);
            if (c.Output.Json)
            {
                c.Output.WriteJson(rows);
                return ExitCodes.Ok;
            }
            var items = JsonList.Items(rows, "rows", "usage").ToList();
            foreach (var row in items.OfType<JsonObject>().Where(r => grouping is "project" or "key" && r["projectId"] is null))
            {
                row["projectId"] = NoProject;
            }
            c.Output.WideWhenRedirected().WriteTable(items, [.. Columns(grouping, operatorView: tenantId is not null), ("INPUT", "inputTokens"),
                ("OUTPUT", "outputTokens"), ("WEIGHTED", "weightedTokens"), ("SANDBOX S", "sandboxSeconds"), ("TOOL CALLS", "toolCalls"), ("COST", "cost")]);
            return ExitCodes.Ok;
        });
        return usage;
    }

    /// <summary>The columns that say what a row is: the grouping's, and for the operator's chargeback also its model.</summary>
    private static IEnumerable<(string, string)> Columns(string grouping, bool operatorView)
    {
        yield return ("TENANT", "tenantId");
        switch (grouping)
        {
            case "day":
                yield return ("DAY", "day");
                break;
            case "key":
                yield return ("KEY", "key");
                yield return ("PROJECT", "projectId");
                break;
            case "project":
                yield return ("PROJECT", "projectId");
                break;
        }
        if (grouping == "model" || operatorView)
        {
            yield return ("MODEL", "model");
        }
    }
}
