using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary>
/// <c>agentcloud tenants update &lt;tenant-id&gt;</c>: sends only the fields given (PATCH), so what is not named stays
/// as it is; policy and isolation overrides merge with the tenant's.
/// </summary>
internal static class TenantUpdateCommand
{
    public static Command Build(CliRunner runner, Action<CliOutput, JsonNode?> print, Action<JsonObject, string, string[]?> addList)
    {
        var id = new Argument<string>("tenant-id") { Description = "Tenant id" };
        var name = new Option<string?>("--name") { Description = "New name" };
        var tier = new Option<string?>("--tier") { Description = "free, pro or enterprise" };
        tier.AcceptOnlyFromAmong("free", "pro", "enterprise");
        var status = new Option<string?>("--status") { Description = "active, or suspended (its keys stop working at once)" };
        status.AcceptOnlyFromAmong("active", "suspended");
        var models = new Option<string[]>("--model") { Description = "Entitled model (repeatable; replaces the list)" };
        var tools = new Option<string[]>("--tool") { Description = "Allowed tool (repeatable; replaces the list)" };
        var egress = new Option<string[]>("--egress") { Description = "Egress domain pattern (repeatable; replaces the list)" };
        var policy = new Option<string[]>("--policy") { Description = "Policy override NAME=VALUE, e.g. requestsPerMinute=120 (repeatable)" };
        var isolation = new Option<string[]>("--isolation") { Description = "Isolation override NAME=VALUE, e.g. kvCachePolicy=off; a list as a,b (one item: a,) (repeatable)" };
        var update = new Command("update", "Change a tenant's tier, status, models, tools, egress, policy or isolation")
        {
            id, name, tier, status, models, tools, egress, policy, isolation,
        };
        runner.Bind(update, async (c, ct) =>
        {
            var body = new JsonObject();
            if (c.Parse.GetValue(name) is { } n) body["name"] = n;
            if (c.Parse.GetValue(tier) is { } t) body["tier"] = t;
            if (c.Parse.GetValue(status) is { } s) body["status"] = s;
            addList(body, "models", c.Parse.GetValue(models));
            addList(body, "tools", c.Parse.GetValue(tools));
            addList(body, "egress", c.Parse.GetValue(egress));
            AddOverrides(body, "policy", "--policy", c.Parse.GetValue(policy));
            AddOverrides(body, "isolation", "--isolation", c.Parse.GetValue(isolation));
            if (body.Count == 0)
            {
                throw new CliUsageException("Nothing to update: give at least one of --name, --tier, --status, --model, --tool, --egress, --policy, --isolation.");
            }
            print(c.Output, await c.Gateway.PatchAsync($"/admin/v1/tenants/{JsonList.Escape(c.Parse.GetValue(id)!)}", body, ct));
            return ExitCodes.Ok;
        });
        return update;
    }

    /// <summary>NAME=VALUE pairs as an object: numbers and true/false as such, comma-separated lists as arrays, else text.</summary>
    internal static void AddOverrides(JsonObject body, string property, string flag, string[]? pairs)
    {
        if (pairs is not { Length: > 0 })
        {
            return;
        }
        var overrides = new JsonObject();
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                throw new CliUsageException($"{flag} wants NAME=VALUE, not '{pair}'.");
            }
            overrides[pair[..eq]] = Value(pair[(eq + 1)..]);
        }
        body[property] = overrides;
    }

    private static JsonNode? Value(string text)
    {
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer)) return integer;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return number;
        if (bool.TryParse(text, out var flag)) return flag;
        if (text.Contains(',', StringComparison.Ordinal))
        {
            return new JsonArray(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }
        return text;
    }
}
