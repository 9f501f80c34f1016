using System.CommandLine;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud models [model-id]</c>: the models the key's tenant may use, or one of them.</summary>
internal static class ModelsCommand
{
    private static readonly (string, string)[] Columns = [("ID", "id"), ("CONTEXT", "max_context_tokens"), ("OWNED BY", "owned_by")];

    public static Command Build(CliRunner runner)
    {
        var id = new Argument<string?>("model-id") { Description = "Show this model only", Arity = ArgumentArity.ZeroOrOne };
        var models = new Command("models", "List the models your tenant may use (needs inference)") { id };
        runner.Bind(models, async (c, ct) =>
        {
            if (c.Parse.GetValue(id) is { } modelId)
            {
                // Model ids may hold a slash (org/model): each segment is escaped, the slashes kept.
                var model = await c.Gateway.GetAsync("/v1/models/" + string.Join('/', modelId.Split('/').Select(JsonList.Escape)), ct);
                if (c.Output.Json) c.Output.WriteJson(model); else c.Output.WriteObject(model, ("id", "id"), ("context", "max_context_tokens"), ("owned by", "owned_by"));
                return ExitCodes.Ok;
            }
            var all = await c.Gateway.GetAsync("/v1/models", ct);
            if (c.Output.Json) c.Output.WriteJson(all); else c.Output.WriteTable(JsonList.Items(all), Columns);
            return ExitCodes.Ok;
        });
        return models;
    }
}
