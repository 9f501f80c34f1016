using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud sandbox start|ps|logs|kill|port</c>: background processes that outlive the call that started them, and their ports.</summary>
internal static class SandboxProcessCommands
{
    public static void AddTo(Command sandbox, CliRunner runner)
    {
        sandbox.Subcommands.Add(Start(runner));
        sandbox.Subcommands.Add(Ps(runner));
        sandbox.Subcommands.Add(Logs(runner));
        sandbox.Subcommands.Add(Kill(runner));
        sandbox.Subcommands.Add(Port(runner));
    }

    private static string ProcessesPath(string id) => $"/v1/sandboxes/{JsonList.Escape(id)}/processes";

    private static Command Start(CliRunner runner)
    {
        var id = new Argument<string>("sandbox-id") { Description = "Sandbox id" };
        var command = new Argument<string[]>("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.OneOrMore };
        var env = new Option<string[]>("--env") { Description = "NAME=value for the process (repeatable)" };
        var cwd = new Option<string?>("--cwd") { Description = "Folder to start in (absolute, or relative to /workspace)" };
        var start = new Command("start", "Start a background process and print its pid: agentcloud sandbox start <id> -- python3 -m http.server 8000")
        {
            id, command, env, cwd,
        };
        runner.Bind(start, async (c, ct) =>
        {
            var body = new JsonObject { ["command"] = new JsonArray(c.Parse.GetValue(command)!.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()) };
            if (SandboxCommands.EnvPairs(c.Parse.GetValue(env)) is { } map) body["env"] = map;
            if (c.Parse.GetValue(cwd) is { } folder) body["cwd"] = folder;
            var started = await c.Gateway.PostAsync(ProcessesPath(c.Parse.GetValue(id)!), body, ct);
            if (c.Output.Json) c.Output.WriteJson(started);
            else c.Output.WriteObject(started, ("pid", "pid"), ("state", "state"), ("started", "startedAt"));
            return ExitCodes.Ok;
        });
        return start;
    }

    private static Command Ps(CliRunner runner)
    {
        var id = new Argument<string>("sandbox-id") { Description = "Sandbox id" };
        var ps = new Command("ps", "List a sandbox's background processes") { id };
        runner.Bind(ps, async (c, ct) =>
        {
            var all = await c.Gateway.GetAsync(ProcessesPath(c.Parse.GetValue(id)!), ct);
            if (c.Output.Json)
            {
                c.Output.WriteJson(all);
                return ExitCodes.Ok;
            }
            // The command as one line, so the table stays one row a process.
            var rows = (all as JsonArray ?? []).Select(p => (JsonNode?)new JsonObject
            {
                ["pid"] = p?["pid"]?.DeepClone(), ["state"] = p?["state"]?.DeepClone(), ["exitCode"] = p?["exitCode"]?.DeepClone(),
                ["startedAt"] = p?["startedAt"]?.DeepClone(),
                ["command"] = string.Join(' ', (p?["command"] as JsonArray ?? []).Select(a => CliOutput.Text(a))),
            });
            c.Output.WriteTable(rows, ("PID", "pid"), ("STATE", "state"), ("EXIT", "exitCode"), ("STARTED", "startedAt"), ("COMMAND", "command"));
            return ExitCodes.Ok;
        });
        return ps;
    }

    private static Command Logs(CliRunner runner)
    {
        var id = new Argument<string>("sandbox-id") { Description = "Sandbox id" };
        var pid = new Argument<int>("pid") { Description = "Process id as `sandbox start` printed it" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing output as it comes until the process exits" };
        var logs = new Command("logs", "Print a background process's output (stdout on ours, stderr on ours)") { id, pid, follow };
        runner.Bind(logs, async (c, ct) =>
        {
            var path = $"{ProcessesPath(c.Parse.GetValue(id)!)}/{c.Parse.GetValue(pid)}/logs";
            if (c.Parse.GetValue(follow))
            {
                return await SandboxExecStream.PrintAsync(c, c.Gateway.GetEventsAsync(path + "?follow=true", ct));
            }
            var log = await c.Gateway.GetAsync(path, ct);
            if (c.Output.Json)
            {
                c.Output.WriteJson(log);
                return ExitCodes.Ok;
            }
            c.Output.Write(CliOutput.Text(log?["stdout"]));
            c.Error.Write(CliOutput.Text(log?["stderr"]));
            var state = CliOutput.Text(log?["state"]);
            c.Error.WriteLine(state == "exited" ? $"[exited {CliOutput.Text(log?["exitCode"])}]" : $"[{state}]");
            return ExitCodes.Ok;
        });
        return logs;
    }

    private static Command Kill(CliRunner runner)
    {
        var id = new Argument<string>("sandbox-id") { Description = "Sandbox id" };
        var pid = new Argument<int>("pid") { Description = "Process id as `sandbox start` printed it" };
        var signal = new Option<string>("--signal", "-s") { Description = "TERM (default), KILL, INT or HUP", DefaultValueFactory = _ => "TERM" };
        var kill = new Command("kill", "Send a background process a signal") { id, pid, signal };
        runner.Bind(kill, async (c, ct) =>
        {
            var path = $"{ProcessesPath(c.Parse.GetValue(id)!)}/{c.Parse.GetValue(pid)}/signal";
            var answer = await c.Gateway.PostAsync(path, new JsonObject { ["signal"] = c.Parse.GetValue(signal) }, ct);
            if (c.Output.Json) c.Output.WriteJson(answer);
            else c.Output.WriteLine($"Sent {c.Parse.GetValue(signal)!.ToUpperInvariant()} to process {c.Parse.GetValue(pid)}.");
            return ExitCodes.Ok;
        });
        return kill;
    }

    private static Command Port(CliRunner runner)
    {
        var id = new Argument<string>("sandbox-id") { Description = "Sandbox id" };
        var port = new Argument<int>("port") { Description = "Port a server listens on at 127.0.0.1 inside the sandbox" };
        var command = new Command("port", "Print the URL that reaches a port inside the sandbox (your key required, like every call)") { id, port };
        runner.Bind(command, (c, ct) =>
        {
            var number = c.Parse.GetValue(port);
            if (number is < 1 or > 65535) throw new CliUsageException($"port must be 1 to 65535, not {number}.");
            var url = $"{c.Gateway.Settings.Url.ToString().TrimEnd('/')}/v1/sandboxes/{JsonList.Escape(c.Parse.GetValue(id)!)}/ports/{number}/";
            if (c.Output.Json) c.Output.WriteJson(new JsonObject { ["url"] = url }); else c.Output.WriteLine(url);
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
