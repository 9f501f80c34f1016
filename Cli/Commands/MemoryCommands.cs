using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud memory put|search</c>: the key's tenant's vector memory.</summary>
internal static class MemoryCommands
{
    public static Command Build(CliRunner runner)
    {
        var memory = new Command("memory", "Store and search texts in your tenant's memory");

        var collection = new Argument<string>("collection") { Description = "Collection name (yours alone)" };
        var id = new Option<string>("--id") { Description = "Point id", Required = true };
        var text = new Option<string>("--text") { Description = "Text to embed and store", Required = true };
        var payload = new Option<string[]>("--payload") { Description = "key=value stored with the point (repeatable)" };
        var put = new Command("put", "Store a text") { collection, id, text, payload };
        runner.Bind(put, async (c, ct) =>
        {
            var point = new JsonObject { ["id"] = c.Parse.GetValue(id), ["text"] = c.Parse.GetValue(text) };
            if (c.Parse.GetValue(payload) is { Length: > 0 } pairs)
            {
                var map = new JsonObject();
                foreach (var pair in pairs)
                {
                    var eq = pair.IndexOf('=');
                    if (eq <= 0) throw new CliUsageException($"--payload wants key=value, not '{pair}'.");
                    map[pair[..eq]] = pair[(eq + 1)..];
                }
                point["payload"] = map;
            }
            var result = await c.Gateway.PutAsync($"/v1/memory/{JsonList.Escape(c.Parse.GetValue(collection)!)}/points",
                new JsonObject { ["points"] = new JsonArray(point) }, ct);
            if (c.Output.Json) c.Output.WriteJson(result ?? new JsonObject { ["stored"] = 1 }); else c.Output.WriteLine("Stored 1 point.");
            return ExitCodes.Ok;
        });

        var searchCollection = new Argument<string>("collection") { Description = "Collection name" };
        var query = new Option<string>("--text") { Description = "What to look for", Required = true };
        var limit = new Option<int>("--limit") { Description = "How many results", DefaultValueFactory = _ => 5 };
        var search = new Command("search", "Search by meaning") { searchCollection, query, limit };
        runner.Bind(search, async (c, ct) =>
        {
            var result = await c.Gateway.PostAsync($"/v1/memory/{JsonList.Escape(c.Parse.GetValue(searchCollection)!)}/search",
                new JsonObject { ["text"] = c.Parse.GetValue(query), ["limit"] = c.Parse.GetValue(limit) }, ct);
            if (c.Output.Json) c.Output.WriteJson(result);
            else c.Output.WriteTable(JsonList.Items(result, "results"), ("ID", "id"), ("SCORE", "score"), ("PAYLOAD", "payload"));
            return ExitCodes.Ok;
        });

        memory.Subcommands.Add(put);
        memory.Subcommands.Add(search);
        return memory;
    }
}
