using System.Net;

namespace AgentCloud.Cli.Tests;

/// <summary><c>agentcloud sandbox start|ps|logs|kill</c> against a scripted Gateway: the exact calls and what is printed.</summary>
public sealed class SandboxProcessCommandsTests
{
    private const string Events =
        "event: stdout\ndata: {\"text\":\"serving\\n\"}\n\n" +
        ": keep-alive\n\n" +
        "event: stderr\ndata: {\"text\":\"GET /\\n\"}\n\n" +
        "event: exit\ndata: {\"exitCode\":143,\"durationMs\":900,\"timedOut\":false,\"truncated\":false}\n\n";

    private static ScriptedGateway Gateway() => new(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
    {
        ("POST", "/v1/sandboxes/sb1/processes") => (HttpStatusCode.Created, """{"pid":1,"command":["python3","-m","http.server"],"startedAt":"2026-01-01T00:00:00Z","state":"running"}"""),
        ("GET", "/v1/sandboxes/sb1/processes") => (HttpStatusCode.OK,
            """[{"pid":1,"command":["python3","-m","http.server"],"startedAt":"2026-01-01T00:00:00Z","state":"running","exitCode":null},{"pid":2,"command":["make"],"startedAt":"2026-01-01T00:00:01Z","state":"exited","exitCode":2}]"""),
        ("GET", "/v1/sandboxes/sb1/processes/1/logs") when request.RequestUri.Query == "?follow=true" => (HttpStatusCode.OK, Events),
        ("GET", "/v1/sandboxes/sb1/processes/2/logs") => (HttpStatusCode.OK, """{"pid":2,"state":"exited","exitCode":2,"stdout":"built\n","stderr":"failed\n","truncated":false}"""),
        ("POST", "/v1/sandboxes/sb1/processes/1/signal") => (HttpStatusCode.OK, """{"pid":1,"state":"running"}"""),
        _ => (HttpStatusCode.NotFound, ScriptedGateway.Problem(404, "Sandbox 'sb1' has no process '9'.")),
    });

    [Fact]
    public async Task Start_posts_the_command_env_and_cwd_and_prints_the_pid()
    {
        var gateway = Gateway();

        var (exit, stdout, _) = await gateway.RunAsync("sandbox", "start", "sb1", "--env", "PORT=8000", "--cwd", "site", "--", "python3", "-m", "http.server");

        Assert.Equal(0, exit);
        Assert.Contains("1", stdout);
        var (method, path, body, _) = Assert.Single(gateway.Seen);
        Assert.Equal(("POST", "/v1/sandboxes/sb1/processes"), (method, path));
        Assert.Equal(["python3", "-m", "http.server"], body!["command"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("8000", body["env"]!["PORT"]!.GetValue<string>());
        Assert.Equal("site", body["cwd"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ps_shows_each_process_with_its_state_exit_code_and_command()
    {
        var (exit, stdout, _) = await Gateway().RunAsync("sandbox", "ps", "sb1");

        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("running") && l.Contains("python3 -m http.server"));
        Assert.Contains(lines, l => l.Contains("exited") && l.Contains('2') && l.Contains("make"));
    }

    [Fact]
    public async Task Logs_follow_prints_the_stream_and_exits_with_the_process_code()
    {
        var gateway = Gateway();

        var (exit, stdout, stderr) = await gateway.RunAsync("sandbox", "logs", "sb1", "1", "-f");

        Assert.Equal(143, exit);
        Assert.Equal("serving\n", stdout.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.StartsWith("GET /\n[exit 143", stderr.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal("/v1/sandboxes/sb1/processes/1/logs?follow=true", Assert.Single(gateway.Seen).PathAndQuery);
    }

    [Fact]
    public async Task Logs_without_follow_prints_the_buffered_log_and_the_state()
    {
        var (exit, stdout, stderr) = await Gateway().RunAsync("sandbox", "logs", "sb1", "2");

        Assert.Equal(0, exit);
        Assert.Equal("built\n", stdout.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal("failed\n[exited 2]\n", stderr.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kill_sends_the_named_signal_and_an_unknown_process_is_reported()
    {
        var gateway = Gateway();

        var (exit, stdout, _) = await gateway.RunAsync("sandbox", "kill", "sb1", "1", "--signal", "KILL");
        var (missing, _, stderr) = await gateway.RunAsync("sandbox", "kill", "sb1", "9");

        Assert.Equal(0, exit);
        Assert.Contains("KILL", stdout);
        Assert.Equal("KILL", gateway.Seen[0].Body!["signal"]!.GetValue<string>());
        Assert.Equal("TERM", gateway.Seen[1].Body!["signal"]!.GetValue<string>());
        Assert.NotEqual(0, missing);
        Assert.Contains("no process '9'", stderr);
    }
}

/// <summary><c>agentcloud sandbox port</c>: the URL of a port inside a sandbox, through the configured Gateway; no call made.</summary>
public sealed class SandboxPortCommandTests
{
    [Fact]
    public async Task Port_prints_the_gateway_url_of_the_port_and_refuses_an_impossible_port()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.NotFound, "{}"));

        var (exit, stdout, _) = await gateway.RunAsync("sandbox", "port", "sbx_1", "8000");
        var (refused, _, stderr) = await gateway.RunAsync("sandbox", "port", "sbx_1", "70000");

        Assert.Equal(0, exit);
        Assert.Equal("http://127.0.0.1:9/v1/sandboxes/sbx_1/ports/8000/", stdout.Trim());
        Assert.Empty(gateway.Seen);
        Assert.NotEqual(0, refused);
        Assert.Contains("70000", stderr);
    }
}
