using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentCloud.Cli.Tests;

/// <summary><c>agentcloud sandbox exec --stream</c> against a scripted exec stream.</summary>
public sealed class SandboxExecStreamTests
{
    private const string Events =
        "event: stdout\ndata: {\"text\":\"building\\n\"}\n\n" +
        ": keep-alive\n\n" +
        "event: stderr\ndata: {\"text\":\"warning\\n\"}\n\n" +
        "event: exit\ndata: {\"exitCode\":3,\"durationMs\":42,\"timedOut\":false,\"truncated\":true}\n\n";

    private sealed class ScriptedExec : HttpMessageHandler
    {
        public List<(string Path, JsonObject Body)> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Add((request.RequestUri!.AbsolutePath, (JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken)) as JsonObject)!));
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Events, Encoding.UTF8, "text/event-stream") };
        }
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(ScriptedExec exec, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // Connection options go before "--", after which everything is the command.
        var split = Array.IndexOf(args, "--");
        var exit = await CliApp.RunAsync([.. args[..split], "--url", "http://127.0.0.1:9", "--key", "ac_k_secret", .. args[split..]], stdout, stderr, () => new HttpClient(exec),
            name => name == "AGENTCLOUD_PROFILE_FILE" ? "/nonexistent/profiles.json" : null);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Stream_asks_for_events_prints_stdout_and_stderr_apart_and_exits_with_the_commands_code()
    {
        var exec = new ScriptedExec();

        var (exit, stdout, stderr) = await RunAsync(exec, "sandbox", "exec", "sb1", "--stream", "--", "make", "test");

        Assert.Equal(3, exit);
        Assert.Equal("building\n", stdout.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal("warning\n[exit 3 in 42 ms, output truncated]\n", stderr.Replace("\r\n", "\n", StringComparison.Ordinal));
        var (path, body) = Assert.Single(exec.Seen);
        Assert.Equal("/v1/sandboxes/sb1/exec", path);
        Assert.True(body["stream"]!.GetValue<bool>());
        Assert.Equal(["make", "test"], body["command"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public async Task Stream_with_json_prints_one_object_per_event()
    {
        var (exit, stdout, _) = await RunAsync(new ScriptedExec(), "sandbox", "exec", "sb1", "--stream", "--json", "--", "true");

        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["stdout", "stderr", "exit"], lines.Select(l => l["event"]!.GetValue<string>()));
        Assert.Equal(3, lines[2]["exitCode"]!.GetValue<int>());
        Assert.Equal(3, exit);
    }
}
