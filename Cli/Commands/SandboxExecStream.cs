using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud sandbox exec --stream</c>: prints a streamed exec's output as its events arrive.</summary>
internal static class SandboxExecStream
{
    public static async Task PrintAsync(CliContext c, string path, JsonObject body, CancellationToken ct)
    {
        await foreach (var (name, data) in c.Gateway.StreamEventsAsync(path, body, ct))
        {
            if (c.Output.Json)
            {
                // One JSON object per line: the event's name beside its fields.
                var line = new JsonObject { ["event"] = name };
                foreach (var (key, value) in data.AsObject())
                {
                    line[key] = value?.DeepClone();
                }
                c.Output.WriteLine(line.ToJsonString());
            }
            else if (name is "stdout" or "stderr")
            {
                c.Output.Write(CliOutput.Text(data["text"]));
            }
            else if (name == "exit")
            {
                c.Output.WriteLine($"[exit {CliOutput.Text(data["exitCode"])} in {CliOutput.Text(data["durationMs"])} ms"
                    + $"{(data["timedOut"]?.GetValue<bool>() == true ? ", timed out" : "")}{(data["truncated"]?.GetValue<bool>() == true ? ", output truncated" : "")}]");
            }
        }
    }
}
