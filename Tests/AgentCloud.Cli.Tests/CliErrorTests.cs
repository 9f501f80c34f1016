using AgentCloud.Cli.Infrastructure;
using AgentCloud.Tests.Shared;

namespace AgentCloud.Cli.Tests;

public sealed class CliErrorTests
{
    [Theory]
    [InlineData("tenants", "create", "--name", "x")]
    [InlineData("tenants", "create", "--name", "x", "--tier", "platinum")]
    [InlineData("frobnicate")]
    [InlineData("sandbox", "exec", "sb1")]
    [InlineData("memory", "search", "notes", "--limit", "many", "--text", "x")]
    public async Task Wrong_flags_give_one_clear_line_and_the_usage_exit_code(params string[] args)
    {
        var (exit, stdout, stderr) = await CliHarness.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Empty(stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("agentcloud: ", line);
    }

    [Fact]
    public async Task An_unreachable_gateway_gives_one_clear_line_and_its_own_exit_code()
    {
        var port = LocalProcess.FreePort(); // nothing listens there

        var (exit, _, stderr) = await CliHarness.RunAsync("tenants", "list", "--url", $"http://127.0.0.1:{port}", "--key", "k");

        Assert.Equal(ExitCodes.Unreachable, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"Cannot reach the Gateway at http://127.0.0.1:{port}/", line);
    }

    [Fact]
    public async Task A_url_that_is_not_http_is_a_usage_error()
    {
        var (exit, _, stderr) = await CliHarness.RunAsync("usage", "--url", "ftp://example");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("not an http(s) URL", stderr);
    }
}
