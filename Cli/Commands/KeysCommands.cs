using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud keys create|list|revoke</c> (operator key).</summary>
internal static class KeysCommands
{
    public static Command Build(CliRunner runner)
    {
        var keys = new Command("keys", "Create, list and revoke a tenant's API keys (operator key)");

        var tenant = new Argument<string>("tenant-id") { Description = "Tenant id" };
        var name = new Option<string>("--name") { Description = "A name for the key", Required = true };
        var capabilities = new Option<string[]>("--capability") { Description = "Capability the key carries (repeatable; default: the tenant's)" };
        var lane = new Option<string>("--default-lane") { Description = "Lane of the key's inference calls that name none" };
        lane.AcceptOnlyFromAmong("interactive", "batch");
        var create = new Command("create", "Create a key; its secret is shown once") { tenant, name, capabilities, lane };
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
                ("CAPABILITIES", "capabilities"), ("LANE", "defaultLane"), ("RUN", "runId"), ("CREATED", "createdAt"), ("REVOKED", "revokedAt"));
            return ExitCodes.Ok;
        });

        keys.Subcommands.Add(create);
        keys.Subcommands.Add(list);
        keys.Subcommands.Add(revoke);
        return keys;
    }
}
