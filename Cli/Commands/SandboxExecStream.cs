using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary>
/// <c>agentcloud sandbox exec --stream</c>: prints a streamed exec's output as its events arrive (stdout on ours,
/// stderr and the summary on our stderr, as the buffered form) and answers the exit code <see cref="ExecExitCode"/> gives.
/// </summary>
internal static class SandboxExecStream
{
    public static Task<int> PrintAsync(CliContext c, string path, JsonObject body, CancellationToken ct) =>
        PrintAsync(c, c.Gateway.StreamEventsAsync(path, body, ct));

    /// <summary>Prints any stream of exec-shaped events (a followed process log too) and answers its exit code.</summary>
    public static async Task<int> PrintAsync(CliContext c, IAsyncEnumerable<(string Event, JsonNode Data)> events)
    {
        JsonNode? exit = null;
        await foreach (var (name, data) in events)
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
            else if (name == "stdout")
            {
                c.Output.Write(CliOutput.Text(data["text"]));
            }
            else if (name == "stderr")
            {
                c.Error.Write(CliOutput.Text(data["text"]));
            }
            if (name == "exit")
            {
                exit = data;
            }
            if (name == "exit" && !c.Output.Json)
            {
                c.Error.WriteLine($"[exit {CliOutput.Text(data["exitCode"])} in {CliOutput.Text(data["durationMs"])} ms"
                    + $"{(data["timedOut"]?.GetValue<bool>() == true ? ", timed out" : "")}{(data["truncated"]?.GetValue<bool>() == true ? ", output truncated" : "")}]");
            }
        }
        return ExecExitCode.Of(exit);
    }
}
