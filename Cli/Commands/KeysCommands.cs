using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud keys create|list|rotate|revoke</c> (operator key).</summary>
internal static class KeysCommands
{
    public static Command Build(CliRunner runner)
    {
        var keys = new Command("keys", "Create, list, rotate and revoke a tenant's API keys (operator key)");

        var tenant = new Argument<string>("tenant-id") { Description = "Tenant id" };
        var name = new Option<string>("--name") { Description = "A name for the key", Required = true };
        var capabilities = new Option<string[]>("--capability") { Description = "Capability the key carries (repeatable; default: the tenant's)" };
        var lane = new Option<string>("--default-lane") { Description = "Lane of the key's inference calls that name none" };
        lane.AcceptOnlyFromAmong("interactive", "batch");
        var expiresAt = new Option<DateTimeOffset?>("--expires-at") { Description = "When the key stops working (ISO 8601, e.g. 2027-01-31T00:00:00Z)" };
        var requestsPerMinute = new Option<int?>("--requests-per-minute") { Description = "The key's own request limit, within the tenant's" };
        var tokensPerMinute = new Option<long?>("--tokens-per-minute") { Description = "The key's own weighted-token budget per minute, within the tenant's" };
        var dollarBudget = new Option<decimal?>("--dollar-budget") { Description = "The key's own US dollars per period at the models' prices (e.g. 25.50)" };
        var dollarBudgetPeriod = new Option<string>("--dollar-budget-period") { Description = "Period of the dollar budget, UTC (default month)" };
        dollarBudgetPeriod.AcceptOnlyFromAmong("day", "week", "month");
        var projectId = new Option<string>("--project") { Description = "The project the key belongs to (prj_…): its usage is the project's and it draws on the project's budgets too" };
        var create = new Command("create", "Create a key; its secret is shown once")
        {
            tenant, name, capabilities, lane, expiresAt, requestsPerMinute, tokensPerMinute, dollarBudget, dollarBudgetPeriod, projectId,
        };
        runner.Bind(create, async (c, ct) =>
        {
            var body = new JsonObject { ["name"] = c.Parse.GetValue(name) };
            if (c.Parse.GetValue(capabilities) is { Length: > 0 } caps)
            {
                body["capabilities"] = new JsonArray(caps.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            }
            if (c.Parse.GetValue(lane) is { } defaultLane)
            {
                body["defaultLane"] = defaultLane;
            }
            if (c.Parse.GetValue(expiresAt) is { } expires) body["expiresAt"] = expires;
            if (c.Parse.GetValue(requestsPerMinute) is { } rpm) body["requestsPerMinute"] = rpm;
            if (c.Parse.GetValue(tokensPerMinute) is { } tpm) body["tokensPerMinute"] = tpm;
            if (c.Parse.GetValue(dollarBudget) is { } dollars) body["dollarBudget"] = dollars;
            if (c.Parse.GetValue(dollarBudgetPeriod) is { } period) body["dollarBudgetPeriod"] = period;
            if (c.Parse.GetValue(projectId) is { } project) body["projectId"] = project;
            var created = await c.Gateway.PostAsync($"/admin/v1/tenants/{JsonList.Escape(c.Parse.GetValue(tenant)!)}/keys", body, ct);
            if (c.Output.Json)
            {
                c.Output.WriteJson(created);
            }
            else
            {
                c.Output.WriteObject(created, ("id", "id"), ("key", "key"));
                c.Output.WriteLine("Store the key now: it is not shown again.");
            }
            return ExitCodes.Ok;
        });

        var revokeTenant = new Argument<string>("tenant-id") { Description = "Tenant id" };
        var keyId = new Argument<string>("key-id") { Description = "Key id" };
        var revoke = new Command("revoke", "Revoke a key on every Gateway replica at once") { revokeTenant, keyId };
        runner.Bind(revoke, async (c, ct) =>
        {
            var (t, k) = (c.Parse.GetValue(revokeTenant)!, c.Parse.GetValue(keyId)!);
            await c.Gateway.DeleteAsync($"/admin/v1/tenants/{JsonList.Escape(t)}/keys/{JsonList.Escape(k)}", ct);
            if (c.Output.Json) c.Output.WriteJson(new JsonObject { ["revoked"] = k }); else c.Output.WriteLine($"Key {k} revoked.");
            return ExitCodes.Ok;
        });

        var rotateTenant = new Argument<string>("tenant-id") { Description = "Tenant id" };
        var rotateKey = new Argument<string>("key-id") { Description = "Key id" };
        var grace = new Option<long?>("--grace") { Description = "Seconds the old secret keeps working (0 to 86400; default 0: refused at once)" };
        var rotate = new Command("rotate", "Give a key a new secret (shown once); the old one works for the grace period") { rotateTenant, rotateKey, grace };
        runner.Bind(rotate, async (c, ct) =>
        {
            var (t, k) = (c.Parse.GetValue(rotateTenant)!, c.Parse.GetValue(rotateKey)!);
            var body = new JsonObject { ["gracePeriodSeconds"] = c.Parse.GetValue(grace) ?? 0 };
            var rotated = await c.Gateway.PostAsync($"/admin/v1/tenants/{JsonList.Escape(t)}/keys/{JsonList.Escape(k)}/rotate", body, ct);
            if (c.Output.Json)
            {
                c.Output.WriteJson(rotated);
                return ExitCodes.Ok;
            }
            c.Output.WriteObject(rotated, ("id", "id"), ("key", "key"), ("old secret valid until", "previousKeyValidUntil"));
            c.Output.WriteLine("Store the key now: it is not shown again.");
            if (rotated?["propagated"] is JsonValue propagated && propagated.TryGetValue<bool>(out var told) && !told)
            {
                c.Error.WriteLine("Warning: the Gateways could not be told at once; they may accept the old secret for up to 30 s.");
            }
            return ExitCodes.Ok;
        });

        var listTenant = new Argument<string>("tenant-id") { Description = "Tenant id" };
        var list = new Command("list", "List a tenant's keys (never the keys themselves)") { listTenant };
        runner.Bind(list, async (c, ct) =>
        {
            var all = await c.Gateway.GetAsync($"/admin/v1/tenants/{JsonList.Escape(c.Parse.GetValue(listTenant)!)}/keys", ct);
            if (c.Output.Json)
            {
                c.Output.WriteJson(all);
                return ExitCodes.Ok;
            }
            c.Output.WideWhenRedirected().WriteTable(JsonList.Items(all, "keys"), ("ID", "id"), ("NAME", "name"), ("PREFIX", "prefix"),
                ("CAPABILITIES", "capabilities"), ("LANE", "defaultLane"), ("RUN", "runId"), ("PROJECT", "projectId"), ("CREATED", "createdAt"), ("EXPIRES", "expiresAt"), ("REVOKED", "revokedAt"));
            return ExitCodes.Ok;
        });

        keys.Subcommands.Add(create);
        keys.Subcommands.Add(list);
        keys.Subcommands.Add(rotate);
        keys.Subcommands.Add(revoke);
        return keys;
    }
}
