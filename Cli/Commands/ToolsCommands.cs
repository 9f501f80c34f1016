using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud tools list|call</c> through <c>/v1/mcp</c>, and <c>tools servers add|list|rm</c> for the tenant's MCP servers.</summary>
internal static class ToolsCommands
{
    public static Command Build(CliRunner runner)
    {
        var tools = new Command("tools", "List and call the tools your key may use; register your own MCP servers");

        var list = new Command("list", "The tools this key may use (the tenant's allowlist and the key's tool: capabilities)");
        runner.Bind(list, async (c, ct) =>
        {
            var found = await new McpGatewayClient(c.Gateway).ListToolsAsync(ct);
            if (c.Output.Json) c.Output.WriteJson(found);
            else c.Output.WriteTable(found, ("NAME", "name"), ("DESCRIPTION", "description"));
            return ExitCodes.Ok;
        });

        var name = new Argument<string>("name") { Description = "The tool, e.g. memory.search or tickets.create" };
        var arg = new Option<string[]>("--arg") { Description = "key=value argument (repeatable; values that parse as JSON are sent as JSON)" };
        var argsJson = new Option<string?>("--args") { Description = "All arguments as one JSON object" };
        var call = new Command("call", "Call a tool and print its answer (exit 1 when the tool reports an error)") { name, arg, argsJson };
        runner.Bind(call, async (c, ct) =>
        {
            var result = await new McpGatewayClient(c.Gateway).CallToolAsync(c.Parse.GetValue(name)!, Arguments(c.Parse.GetValue(argsJson), c.Parse.GetValue(arg)), ct);
            if (c.Output.Json) c.Output.WriteJson(result.Raw);
            else c.Output.WriteLine(result.Text);
            return result.IsError ? ExitCodes.ApiError : ExitCodes.Ok;
        });

        tools.Subcommands.Add(list);
        tools.Subcommands.Add(call);
        tools.Subcommands.Add(BuildServers(runner));
        return tools;
    }

    private static Command BuildServers(CliRunner runner)
    {
        var servers = new Command("servers", "Your tenant's MCP servers; their tools appear as {server}.{tool}");

        var name = new Argument<string>("name") { Description = "Server name: lowercase letters, digits, '_' or '-'" };
        var url = new Option<string>("--url") { Description = "The server's MCP endpoint (Streamable HTTP)", Required = true };
        var integration = new Option<string?>("--integration") { Description = "Vault credential sent to the server as a bearer token" };
        var add = new Command("add", "Register a server") { name, url, integration };
        runner.Bind(add, async (c, ct) =>
        {
            var body = new JsonObject { ["name"] = c.Parse.GetValue(name), ["url"] = c.Parse.GetValue(url) };
            if (c.Parse.GetValue(integration) is { } i) body["integration"] = i;
            var created = await c.Gateway.PostAsync("/v1/tools/servers", body, ct);
            if (c.Output.Json) c.Output.WriteJson(created);
            else c.Output.WriteLine($"Registered {created?["name"]}; its tools appear as {created?["name"]}.<tool> once allowlisted.");
            return ExitCodes.Ok;
        });

        var listed = new Command("list", "List the servers");
        runner.Bind(listed, async (c, ct) =>
        {
            var result = await c.Gateway.GetAsync("/v1/tools/servers", ct);
            if (c.Output.Json) c.Output.WriteJson(result);
            else c.Output.WriteTable(JsonList.Items(result, "servers"), ("NAME", "name"), ("URL", "url"), ("INTEGRATION", "integration"), ("CREATED", "createdAt"));
            return ExitCodes.Ok;
        });

        var removeName = new Argument<string>("name") { Description = "The server to remove" };
        var rm = new Command("rm", "Remove a server") { removeName };
        runner.Bind(rm, async (c, ct) =>
        {
            await c.Gateway.DeleteAsync($"/v1/tools/servers/{JsonList.Escape(c.Parse.GetValue(removeName)!)}", ct);
            if (!c.Output.Json) c.Output.WriteLine($"Removed {c.Parse.GetValue(removeName)}.");
            return ExitCodes.Ok;
        });

        servers.Subcommands.Add(add);
        servers.Subcommands.Add(listed);
        servers.Subcommands.Add(rm);
        return servers;
    }

    /// <summary>Arguments from <c>--args '{...}'</c> and <c>--arg k=v</c> (later wins); a value that parses as JSON is sent as JSON.</summary>
    internal static JsonObject Arguments(string? json, string[]? pairs)
    {
        JsonObject arguments;
        try
        {
            arguments = json is null ? new JsonObject() : JsonNode.Parse(json) as JsonObject ?? throw new CliUsageException("--args must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new CliUsageException($"--args is not JSON: {e.Message}");
        }
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new CliUsageException($"--arg wants key=value, not '{pair}'.");
            var value = pair[(eq + 1)..];
            JsonNode? parsed;
            try
            {
                parsed = value.Length > 0 && (value[0] is '[' or '{' or '"' || char.IsDigit(value[0]) || value is "true" or "false") ? JsonNode.Parse(value) : value;
            }
            catch (JsonException)
            {
                parsed = value;
            }
            arguments[pair[..eq]] = parsed;
        }
        return arguments;
    }
}
