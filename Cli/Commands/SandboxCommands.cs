using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud sandbox create|list|exec|cp|rm|pause|resume|templates</c> (and <c>start|ps|logs|kill|port</c>): the key's tenant's sandboxes.</summary>
internal static class SandboxCommands
{
    public static Command Build(CliRunner runner)
    {
        var sandbox = new Command("sandbox", "Create sandboxes, run commands and copy files in them");
        sandbox.Subcommands.Add(Create(runner));
        sandbox.Subcommands.Add(List(runner));
        sandbox.Subcommands.Add(Exec(runner));
        sandbox.Subcommands.Add(Copy(runner));
        sandbox.Subcommands.Add(Remove(runner));
        sandbox.Subcommands.Add(SandboxPauseCommands.Pause(runner));
        sandbox.Subcommands.Add(SandboxPauseCommands.Resume(runner));
        sandbox.Subcommands.Add(SandboxTemplatesCommand.Build(runner));
        sandbox.Subcommands.Add(SandboxListFilesCommand.Build(runner));
        SandboxProcessCommands.AddTo(sandbox, runner); // start, ps, logs, kill: SandboxProcessCommands.cs
        return sandbox;
    }

    private static Command Create(CliRunner runner)
    {
        var template = new Option<string?>("--template") { Description = "Sandbox template (default: default; see sandbox templates)" };
        var isolation = new Option<string?>("--isolation") { Description = "Ask for an isolation level (firecracker, gvisor, bubblewrap, namespace, none)" };
        var timeout = new Option<int?>("--timeout") { Description = "Lifetime in seconds" };
        var create = new Command("create", "Create a sandbox") { template, isolation, timeout };
        runner.Bind(create, async (c, ct) =>
        {
            var body = new JsonObject();
            if (c.Parse.GetValue(template) is { } t) body["template"] = t;
            if (c.Parse.GetValue(isolation) is { } i) body["isolation"] = i;
            if (c.Parse.GetValue(timeout) is { } s) body["timeoutSeconds"] = s;
            var created = await c.Output.WithProgressAsync("Starting a sandbox…", () => c.Gateway.PostAsync("/v1/sandboxes", body, ct));
            if (c.Output.Json) c.Output.WriteJson(created);
            else c.Output.WriteObject(created, ("id", "id"), ("isolation", "isolation"), ("pool", "pool"), ("created", "createdAt"));
            return ExitCodes.Ok;
        });
        return create;
    }

    private static Command List(CliRunner runner)
    {
        var list = new Command("list", "List your sandboxes");
        runner.Bind(list, async (c, ct) =>
        {
            var all = await c.Gateway.GetAsync("/v1/sandboxes", ct);
            if (c.Output.Json) c.Output.WriteJson(all);
            else c.Output.WriteTable(JsonList.Items(all, "sandboxes"), ("ID", "id"), ("STATE", "state"), ("ISOLATION", "isolation"), ("POOL", "pool"), ("CREATED", "createdAt"));
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Exec(CliRunner runner)
    {
        var id = new Argument<string>("sandbox-id") { Description = "Sandbox id" };
        var command = new Argument<string[]>("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.OneOrMore };
        var timeout = new Option<int?>("--timeout") { Description = "Seconds before the command is killed" };
        var env = new Option<string[]>("--env") { Description = "NAME=value for the command (repeatable)" };
        var stream = new Option<bool>("--stream") { Description = "Print output as it comes instead of when the command ends" };
        var exec = new Command("exec", "Run a command in a sandbox and exit with its exit code: agentcloud sandbox exec <id> -- python3 -c 'print(1)'")
        {
            id, command, timeout, env, stream,
        };
        runner.Bind(exec, async (c, ct) =>
        {
            var body = new JsonObject { ["command"] = new JsonArray(c.Parse.GetValue(command)!.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()) };
            if (c.Parse.GetValue(timeout) is { } t) body["timeoutSeconds"] = t;
            if (EnvPairs(c.Parse.GetValue(env)) is { } map) body["env"] = map;
            var path = $"/v1/sandboxes/{JsonList.Escape(c.Parse.GetValue(id)!)}/exec";
            if (c.Parse.GetValue(stream))
            {
                body["stream"] = true;
                return await SandboxExecStream.PrintAsync(c, path, body, ct);
            }
            var result = await c.Output.WithProgressAsync("Running…", () => c.Gateway.PostAsync(path, body, ct));
            if (c.Output.Json)
            {
                c.Output.WriteJson(result);
            }
            else
            {
                // The command's output as it would be locally: its stdout on ours, its stderr and the summary on our stderr.
                c.Output.Write(CliOutput.Text(result?["stdout"]));
                c.Error.Write(CliOutput.Text(result?["stderr"]));
                c.Error.WriteLine($"[exit {CliOutput.Text(result?["exitCode"])} in {CliOutput.Text(result?["durationMs"])} ms{(result?["timedOut"]?.GetValue<bool>() == true ? ", timed out" : "")}]");
            }
            return ExecExitCode.Of(result);
        });
        return exec;
    }

    /// <summary>--env NAME=value pairs as the API's env object; null when none were given.</summary>
    internal static JsonObject? EnvPairs(string[]? pairs)
    {
        if (pairs is not { Length: > 0 })
        {
            return null;
        }
        var map = new JsonObject();
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new CliUsageException($"--env wants NAME=value, not '{pair}'.");
            map[pair[..eq]] = pair[(eq + 1)..];
        }
        return map;
    }

    private static Command Copy(CliRunner runner)
    {
        var source = new Argument<string>("source") { Description = "A local file, or <sandbox-id>:<path>" };
        var destination = new Argument<string>("destination") { Description = "<sandbox-id>:<path>, or a local file" };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Copy a folder (as a tar archive); links in a folder copied out are skipped, not made" };
        var cp = new Command("cp", "Copy a file, or with -r a folder, into or out of a sandbox's workspace") { source, destination, recursive };
        runner.Bind(cp, async (c, ct) =>
        {
            var (src, dst) = (c.Parse.GetValue(source)!, c.Parse.GetValue(destination)!);
            var folder = c.Parse.GetValue(recursive);
            string? detail = null;
            if (RemotePath.TryParse(dst, out var into) && !RemotePath.TryParse(src, out _))
            {
                if (folder)
                {
                    detail = await SandboxFolderCopy.UploadAsync(c.Gateway, src, into, ct);
                }
                else
                {
                    if (!File.Exists(src)) throw new CliUsageException($"No local file '{src}'.");
                    await c.Gateway.PutBytesAsync(into.ApiPath, await File.ReadAllBytesAsync(src, ct), ct);
                }
            }
            else if (RemotePath.TryParse(src, out var from) && !RemotePath.TryParse(dst, out _))
            {
                if (folder)
                {
                    detail = await SandboxFolderCopy.DownloadAsync(c.Gateway, from, dst, ct);
                }
                else
                {
                    await File.WriteAllBytesAsync(dst, await c.Gateway.GetBytesAsync(from.ApiPath, ct), ct);
                }
            }
            else
            {
                throw new CliUsageException("Exactly one side of cp must be <sandbox-id>:<path>.");
            }
            if (c.Output.Json) c.Output.WriteJson(new JsonObject { ["copied"] = src, ["to"] = dst, ["detail"] = detail });
            else c.Output.WriteLine(detail is null ? $"Copied {src} to {dst}." : $"Copied {src} to {dst}: {detail}.");
            return ExitCodes.Ok;
        });
        return cp;
    }

    private static Command Remove(CliRunner runner)
    {
        var id = new Argument<string>("sandbox-id") { Description = "Sandbox id" };
        var rm = new Command("rm", "Delete a sandbox and its workspace") { id };
        runner.Bind(rm, async (c, ct) =>
        {
            var sandboxId = c.Parse.GetValue(id)!;
            await c.Gateway.DeleteAsync($"/v1/sandboxes/{JsonList.Escape(sandboxId)}", ct);
            if (c.Output.Json) c.Output.WriteJson(new JsonObject { ["deleted"] = sandboxId }); else c.Output.WriteLine($"Sandbox {sandboxId} deleted.");
            return ExitCodes.Ok;
        });
        return rm;
    }

    /// <summary><c>sandbox-id:path/in/workspace</c>; a local path never contains a colon before its first slash.</summary>
    internal readonly record struct RemotePath(string SandboxId, string Path)
    {
        public string ApiPath => $"/v1/sandboxes/{JsonList.Escape(SandboxId)}/files/{EscapedPath}";

        /// <summary>The folder as a tar archive (up or down); an empty path is the whole workspace.</summary>
        public string ArchivePath => $"/v1/sandboxes/{JsonList.Escape(SandboxId)}/archive/{EscapedPath}".TrimEnd('/');

        private string EscapedPath => string.Join('/', Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(JsonList.Escape));

        public static bool TryParse(string text, out RemotePath remote)
        {
            var colon = text.IndexOf(':');
            var slash = text.IndexOf('/');
            if (colon > 0 && (slash < 0 || colon < slash) && colon < text.Length - 1)
            {
                remote = new RemotePath(text[..colon], text[(colon + 1)..]);
                return true;
            }
            remote = default;
            return false;
        }
    }
}
