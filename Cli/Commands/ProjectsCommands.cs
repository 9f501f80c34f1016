using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary>
/// <c>agentcloud projects list|create|update|delete</c>: the caller's own tenant's projects (a key holding
/// <c>projects:admin</c>), or with <c>--tenant</c> any tenant's (operator key).
/// </summary>
internal static class ProjectsCommands
{
    private static readonly (string, string)[] Columns =
        [("ID", "id"), ("NAME", "name"), ("TOKENS/MIN", "tokensPerMinute"), ("TOKENS/PERIOD", "tokensPerPeriod"), ("USD/PERIOD", "dollarsPerPeriod"), ("PERIOD", "period"), ("CREATED", "createdAt")];

    public static Command Build(CliRunner runner)
    {
        var projects = new Command("projects", "Create, list, update and delete projects: budgets within a tenant that keys belong to");

        var listTenant = TenantOption();
        var list = new Command("list", "List the tenant's projects") { listTenant };
        runner.Bind(list, async (c, ct) =>
        {
            var all = await c.Gateway.GetAsync(BasePath(c.Parse.GetValue(listTenant)), ct);
            if (c.Output.Json) c.Output.WriteJson(all); else c.Output.WideWhenRedirected().WriteTable(JsonList.Items(all, "projects"), Columns);
            return ExitCodes.Ok;
        });

        var name = new Option<string>("--name") { Description = "A name, unique among the tenant's projects", Required = true };
        var budgets = new ProjectBudgetOptions("The project's weighted-token budget per minute, shared by all its keys, within the tenant's");
        var createTenant = TenantOption();
        var create = new Command("create", "Create a project, with its budgets if given") { name, createTenant };
        AddAll(create, budgets.All);
        runner.Bind(create, async (c, ct) =>
        {
            var body = new JsonObject { ["name"] = c.Parse.GetValue(name) };
            budgets.WriteGiven(c.Parse, body);
            Print(c.Output, await c.Gateway.PostAsync(BasePath(c.Parse.GetValue(createTenant)), body, ct));
            return ExitCodes.Ok;
        });

        var updateId = ProjectArgument();
        var newName = new Option<string?>("--name") { Description = "New name" };
        var newBudgets = new ProjectBudgetOptions("New weighted-token budget per minute (0 removes it)");
        var updateTenant = TenantOption();
        var update = new Command("update", "Rename a project or change its budgets") { updateId, newName, updateTenant };
        AddAll(update, newBudgets.All);
        runner.Bind(update, async (c, ct) =>
        {
            var body = new JsonObject();
            if (c.Parse.GetValue(newName) is { } n) body["name"] = n;
            newBudgets.WriteGiven(c.Parse, body);
            if (body.Count == 0)
            {
                throw new CliUsageException("Nothing to update: give --name and/or a budget (--tokens-per-minute, --tokens-per-period, --dollars-per-period, --period, --alert-thresholds).");
            }
            var path = $"{BasePath(c.Parse.GetValue(updateTenant))}/{JsonList.Escape(c.Parse.GetValue(updateId)!)}";
            Print(c.Output, await c.Gateway.PatchAsync(path, body, ct));
            return ExitCodes.Ok;
        });

        var deleteId = ProjectArgument();
        var deleteTenant = TenantOption();
        var delete = new Command("delete", "Delete a project: its keys are refused from then on") { deleteId, deleteTenant };
        runner.Bind(delete, async (c, ct) =>
        {
            var id = c.Parse.GetValue(deleteId)!;
            await c.Gateway.DeleteAsync($"{BasePath(c.Parse.GetValue(deleteTenant))}/{JsonList.Escape(id)}", ct);
            if (c.Output.Json) c.Output.WriteJson(new JsonObject { ["deleted"] = id }); else c.Output.WriteLine($"Project {id} deleted; its keys are refused from now on.");
            return ExitCodes.Ok;
        });

        projects.Subcommands.Add(list);
        projects.Subcommands.Add(create);
        projects.Subcommands.Add(update);
        projects.Subcommands.Add(delete);
        return projects;
    }

    private static string BasePath(string? tenant) => tenant is null ? "/v1/projects" : $"/admin/v1/tenants/{JsonList.Escape(tenant)}/projects";

    private static Option<string?> TenantOption() => new("--tenant") { Description = "A tenant's projects (operator key); without it, your own tenant's (projects:admin)" };

    private static Argument<string> ProjectArgument() => new("project-id") { Description = "Project id (prj_…)" };

    private static void AddAll(Command command, IEnumerable<Option> options)
    {
        foreach (var option in options)
        {
            command.Options.Add(option);
        }
    }

    private static void Print(CliOutput output, JsonNode? project)
    {
        if (output.Json) output.WriteJson(project); else output.WriteObject(project, ("id", "id"), ("name", "name"), ("tokens per minute", "tokensPerMinute"),
            ("tokens per period", "tokensPerPeriod"), ("dollars per period", "dollarsPerPeriod"), ("period", "period"), ("created", "createdAt"));
    }
}
