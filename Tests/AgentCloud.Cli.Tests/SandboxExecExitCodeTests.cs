using System.Net;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Tests;

/// <summary><c>sandbox exec</c> exits as the command did, so scripts can branch on it as on a local command.</summary>
public sealed class SandboxExecExitCodeTests
{
    private static ScriptedGateway Answering(string result) => new(_ => (HttpStatusCode.OK, result));

    [Theory]
    [InlineData(0, false, 0)]
    [InlineData(7, false, 7)]
    [InlineData(-9, false, 137)]
    [InlineData(0, true, 124)]
    [InlineData(300, false, 44)]
    public async Task Exec_exits_with_the_commands_exit_code(int commandExit, bool timedOut, int expected)
    {
        var gateway = Answering($$"""{"exitCode":{{commandExit}},"stdout":"out\n","stderr":"err\n","durationMs":3,"timedOut":{{(timedOut ? "true" : "false")}},"truncated":false}""");

        var (exit, stdout, stderr) = await gateway.RunAsync("sandbox", "exec", "sbx_1", "--", "sh", "-c", "exit 7");

        Assert.Equal(expected, exit);
        Assert.Equal("out\n", stdout);
        Assert.StartsWith("err\n[exit ", stderr);
        var (method, path, body, _) = Assert.Single(gateway.Seen);
        Assert.Equal(("POST", "/v1/sandboxes/sbx_1/exec", """["sh","-c","exit 7"]"""), (method, path, body!["command"]!.ToJsonString()));
    }

    [Fact]
    public async Task Exec_with_json_output_also_exits_with_the_commands_exit_code()
    {
        var gateway = Answering("""{"exitCode":3,"stdout":"","stderr":"","durationMs":1,"timedOut":false,"truncated":false}""");

        var (exit, stdout, _) = await gateway.RunAsync("sandbox", "exec", "sbx_1", "--json", "--", "false");

        Assert.Equal(3, exit);
        Assert.Contains("\"exitCode\": 3", stdout);
    }

    [Fact]
    public async Task An_exec_the_platform_refuses_keeps_the_clis_own_exit_code()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.NotFound, ScriptedGateway.Problem(404, "No sandbox 'sbx_9'.")));

        var (exit, _, stderr) = await gateway.RunAsync("sandbox", "exec", "sbx_9", "--", "true");

        Assert.Equal(ExitCodes.NotFound, exit);
        Assert.Contains("No sandbox 'sbx_9'.", stderr);
    }
}
