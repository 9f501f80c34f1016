using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary>
/// <c>agentcloud sandbox pause|resume &lt;id&gt;</c>: a paused sandbox keeps its workspace (and at gVisor its processes), holds
/// no slot and costs no sandbox-seconds; resume brings it back under the same id.
/// </summary>
internal static class SandboxPauseCommands
{
    public static Command Pause(CliRunner runner)
    {
        var id = new Argument<string>("sandbox-id") { Description = "Sandbox id" };
        var pause = new Command("pause", "Save a sandbox's workspace and free its slot; its processes end") { id };
        runner.Bind(pause, async (c, ct) =>
        {
            var sandboxId = c.Parse.GetValue(id)!;
            var paused = await c.Output.WithProgressAsync("Pausing…", () => c.Gateway.PostAsync($"/v1/sandboxes/{JsonList.Escape(sandboxId)}/pause", new JsonObject(), ct));
            if (c.Output.Json)
            {
                c.Output.WriteJson(paused);
                return ExitCodes.Ok;
            }
            c.Output.WriteObject(paused, ("id", "id"), ("state", "state"), ("saved bytes", "savedBytes"), ("kept until", "pausedUntil"), ("processes", "processes"));
            if (paused?["checkpoint"]?["supported"]?.GetValue<bool>() != true && paused?["checkpoint"]?["reason"] is { } reason)
            {
                c.Error.WriteLine($"Processes were not kept: {CliOutput.Text(reason)}");
            }
            return ExitCodes.Ok;
        });
        return pause;
    }

    public static Command Resume(CliRunner runner)
    {
        var id = new Argument<string>("sandbox-id") { Description = "Sandbox id" };
        var resume = new Command("resume", "Bring a paused sandbox back, its workspace restored, under the same id") { id };
        runner.Bind(resume, async (c, ct) =>
        {
            var sandboxId = c.Parse.GetValue(id)!;
            var resumed = await c.Output.WithProgressAsync("Resuming…", () => c.Gateway.PostAsync($"/v1/sandboxes/{JsonList.Escape(sandboxId)}/resume", new JsonObject(), ct));
            if (c.Output.Json) c.Output.WriteJson(resumed);
            else c.Output.WriteObject(resumed, ("id", "id"), ("state", "state"), ("isolation", "isolation"), ("expires", "expiresAt"), ("processes", "processes"));
            return ExitCodes.Ok;
        });
        return resume;
    }
}
