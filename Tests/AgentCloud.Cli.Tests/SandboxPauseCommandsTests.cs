using System.Net;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Tests;

/// <summary><c>sandbox pause|resume</c>: the right calls, what was kept said plainly, and the platform's refusals as exit codes.</summary>
public sealed class SandboxPauseCommandsTests
{
    private const string Paused = """
        {"id":"sbx_1","state":"paused","isolation":"gvisor","template":"default","pausedAt":"2026-01-01T00:00:00Z","pausedUntil":"2026-01-08T00:00:00Z",
         "savedBytes":10240,"processes":"not-checkpointed","checkpoint":{"supported":false,"reason":"gvisor: processes are not checkpointed"}}
        """;

    [Fact]
    public async Task Pause_posts_to_the_sandbox_and_says_its_processes_were_not_kept()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, Paused));

        var (exit, stdout, stderr) = await gateway.RunAsync("sandbox", "pause", "sbx_1");

        Assert.Equal(ExitCodes.Ok, exit);
        var (method, path, _, _) = Assert.Single(gateway.Seen);
        Assert.Equal(("POST", "/v1/sandboxes/sbx_1/pause"), (method, path));
        Assert.Contains("paused", stdout);
        Assert.Contains("10240", stdout);
        Assert.Contains("Processes were not kept: gvisor: processes are not checkpointed", stderr);
    }

    [Fact]
    public async Task Resume_posts_to_the_sandbox_and_prints_it_running()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK,
            """{"id":"sbx_1","isolation":"gvisor","pool":"shared","template":"default","warm":true,"createdAt":"2026-01-01T00:00:00Z","expiresAt":"2026-01-01T02:00:00Z","state":"running"}"""));

        var (exit, stdout, _) = await gateway.RunAsync("sandbox", "resume", "sbx_1", "--json");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal(("POST", "/v1/sandboxes/sbx_1/resume"), (gateway.Seen[0].Method, gateway.Seen[0].PathAndQuery));
        Assert.Contains("\"state\": \"running\"", stdout);
    }

    [Theory]
    [InlineData(409, ExitCodes.ApiError)]
    [InlineData(404, ExitCodes.NotFound)]
    [InlineData(429, ExitCodes.RateLimited)]
    public async Task A_refused_pause_or_resume_prints_the_platforms_detail_and_exits_accordingly(int status, int expected)
    {
        var gateway = new ScriptedGateway(_ => ((HttpStatusCode)status, ScriptedGateway.Problem(status, "Sandbox 'sbx_1' is running, not paused.")));

        var (pauseExit, _, pauseErr) = await gateway.RunAsync("sandbox", "pause", "sbx_1");
        var (resumeExit, _, resumeErr) = await gateway.RunAsync("sandbox", "resume", "sbx_1");

        Assert.Equal(expected, pauseExit);
        Assert.Equal(expected, resumeExit);
        Assert.Contains("is running, not paused", pauseErr);
        Assert.Contains("is running, not paused", resumeErr);
    }
}

/// <summary><c>sandbox templates</c> lists the operator's templates; <c>sandbox create --template</c> sends the name.</summary>
public sealed class SandboxTemplatesCommandTests
{
    [Fact]
    public async Task Templates_are_listed_as_a_table_with_allowed_and_available()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, """
            [{"name":"default","environment":["PATH"],"layer":null,"tiers":[],"timeoutSeconds":null,"allowed":true,"available":true,"reason":null},
             {"name":"tools","environment":["PATH"],"layer":"/opt/template","tiers":["pro"],"timeoutSeconds":600,"allowed":false,"available":true,"reason":null}]
            """));

        var (exit, stdout, _) = await gateway.RunAsync("sandbox", "templates");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal(("GET", "/v1/sandboxes/templates"), (gateway.Seen[0].Method, gateway.Seen[0].PathAndQuery));
        var tools = stdout.Split('\n').Single(l => l.Contains(" tools ", StringComparison.Ordinal));
        Assert.Contains("/opt/template", tools);
        Assert.Contains("false", tools, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Create_with_a_template_sends_its_name()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.Created, """{"id":"sbx_1","isolation":"gvisor","pool":"shared","template":"tools","createdAt":"2026-01-01T00:00:00Z"}"""));

        var (exit, _, _) = await gateway.RunAsync("sandbox", "create", "--template", "tools");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("tools", gateway.Seen[0].Body!["template"]!.GetValue<string>());
    }
}
