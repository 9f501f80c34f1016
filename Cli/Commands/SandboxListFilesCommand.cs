using System.CommandLine;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud sandbox ls &lt;sandbox-id&gt;[:path]</c>: a folder of the sandbox's workspace (the whole workspace without a path).</summary>
internal static class SandboxListFilesCommand
{
    public static Command Build(CliRunner runner)
    {
        var target = new Argument<string>("sandbox-id[:path]") { Description = "A sandbox, or <sandbox-id>:<folder> in its workspace" };
        var ls = new Command("ls", "List a folder of a sandbox's workspace: name, type, size, modified") { target };
        runner.Bind(ls, async (c, ct) =>
        {
            var given = c.Parse.GetValue(target)!;
            var (sandboxId, folder) = SandboxCommands.RemotePath.TryParse(given, out var remote) ? (remote.SandboxId, remote.Path) : (given, "");
            var path = $"/v1/sandboxes/{JsonList.Escape(sandboxId)}/dirs";
            var segments = folder.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments.Length > 0)
            {
                path += "/" + string.Join('/', segments.Select(JsonList.Escape));
            }
            var listing = await c.Gateway.GetAsync(path, ct);
            if (c.Output.Json) c.Output.WriteJson(listing);
            else c.Output.WriteTable(JsonList.Items(listing, "entries"), ("NAME", "name"), ("TYPE", "type"), ("SIZE", "size"), ("MODIFIED", "modified"));
            return ExitCodes.Ok;
        });
        return ls;
    }
}
