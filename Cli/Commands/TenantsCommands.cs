using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud tenants create|list|show|update|delete</c> (operator key).</summary>
internal static class TenantsCommands
{
    private static readonly (string, string)[] Columns = [("ID", "id"), ("NAME", "name"), ("TIER", "tier"), ("STATUS", "status")];

    public static Command Build(CliRunner runner)
    {
        var tenants = new Command("tenants", "Create, list, show, update and offboard tenants (operator key)");

        var name = new Option<string>("--name") { Description = "Tenant name", Required = true };
        var tier = new Option<string>("--tier") { Description = "free, pro or enterprise", Required = true };
        tier.AcceptOnlyFromAmong("free", "pro", "enterprise");
        var models = new Option<string[]>("--model") { Description = "Entitled model (repeatable; default: the tier's)", AllowMultipleArgumentsPerToken = false };
        var tools = new Option<string[]>("--tool") { Description = "Allowed tool (repeatable)" };
        var egress = new Option<string[]>("--egress") { Description = "Egress domain pattern (repeatable)" };
        var create = new Command("create", "Create a tenant") { name, tier, models, tools, egress };
        runner.Bind(create, async (c, ct) =>
        {
            var body = new JsonObject { ["name"] = c.Parse.GetValue(name), ["tier"] = c.Parse.GetValue(tier) };
            AddList(body, "models", c.Parse.GetValue(models));
            AddList(body, "tools", c.Parse.GetValue(tools));
            AddList(body, "egress", c.Parse.GetValue(egress));
            var created = await c.Gateway.PostAsync("/admin/v1/tenants", body, ct);
            Print(c.Output, created);
            return ExitCodes.Ok;
        });

        var list = new Command("list", "List tenants");
        runner.Bind(list, async (c, ct) =>
        {
            var all = await c.Gateway.GetAsync("/admin/v1/tenants", ct);
            if (c.Output.Json) c.Output.WriteJson(all); else c.Output.WriteTable(JsonList.Items(all, "tenants"), Columns);
            return ExitCodes.Ok;
        });

        var id = new Argument<string>("tenant-id") { Description = "Tenant id" };
        var show = new Command("show", "Show a tenant and its policy") { id };
        runner.Bind(show, async (c, ct) =>
        {
            Print(c.Output, await c.Gateway.GetAsync($"/admin/v1/tenants/{JsonList.Escape(c.Parse.GetValue(id)!)}", ct));
            return ExitCodes.Ok;
        });

        var deleteId = new Argument<string>("tenant-id") { Description = "Tenant id" };
        var delete = new Command("delete", "Offboard a tenant: keys revoked, data removed") { deleteId };
        runner.Bind(delete, async (c, ct) =>
        {
            var tenant = c.Parse.GetValue(deleteId)!;
            await c.Output.WithProgressAsync($"Offboarding {tenant}…", () => c.Gateway.DeleteAsync($"/admin/v1/tenants/{JsonList.Escape(tenant)}", ct));
            if (c.Output.Json) c.Output.WriteJson(new JsonObject { ["deleted"] = tenant }); else c.Output.WriteLine($"Tenant {tenant} offboarded.");
            return ExitCodes.Ok;
        });

        tenants.Subcommands.Add(create);
        tenants.Subcommands.Add(list);
        tenants.Subcommands.Add(show);
        tenants.Subcommands.Add(TenantUpdateCommand.Build(runner, Print, AddList));
        tenants.Subcommands.Add(delete);
        return tenants;
    }

    internal static void Print(CliOutput output, JsonNode? tenant)
    {
        if (output.Json)
        {
            output.WriteJson(tenant);
            return;
        }
        output.WriteObject(tenant, ("id", "id"), ("name", "name"), ("tier", "tier"), ("status", "status"), ("models", "models"), ("created", "createdAt"));
    }

    internal static void AddList(JsonObject body, string name, string[]? values)
    {
        if (values is { Length: > 0 })
        {
            body[name] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }
    }
}
