using System.CommandLine;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud sandbox templates</c>: the templates the operator offers, whether your tier may use each and whether this platform can.</summary>
internal static class SandboxTemplatesCommand
{
    public static Command Build(CliRunner runner)
    {
        var templates = new Command("templates", "List sandbox templates (pick one with sandbox create --template)");
        runner.Bind(templates, async (c, ct) =>
        {
            var all = await c.Gateway.GetAsync("/v1/sandboxes/templates", ct);
            if (c.Output.Json) c.Output.WriteJson(all);
            else c.Output.WriteTable(JsonList.Items(all, "templates"), ("NAME", "name"), ("ALLOWED", "allowed"), ("AVAILABLE", "available"), ("LAYER", "layer"), ("REASON", "reason"));
            return ExitCodes.Ok;
        });
        return templates;
    }
}
