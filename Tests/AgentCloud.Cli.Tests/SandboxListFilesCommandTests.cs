using System.Net;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Tests;

/// <summary><c>sandbox ls</c>: the folder call it makes (the workspace, or a folder with each segment escaped) and the table it prints.</summary>
public sealed class SandboxListFilesCommandTests
{
    private const string Listing = """
        {"path":"site","entries":[{"name":"index.html","type":"file","size":23,"modified":"2026-12-01T10:00:00Z"},{"name":"img","type":"directory","size":0,"modified":"2026-12-01T10:00:00Z"}],"truncated":false}
        """;

    [Fact]
    public async Task Ls_of_a_sandbox_lists_its_workspace_and_prints_one_row_per_entry()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, Listing));

        var (exit, stdout, _) = await gateway.RunAsync("sandbox", "ls", "sbx_1");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal(("GET", "/v1/sandboxes/sbx_1/dirs"), (gateway.Seen[0].Method, gateway.Seen[0].PathAndQuery));
        Assert.Contains("index.html", stdout);
        Assert.Contains("directory", stdout);
    }

    [Fact]
    public async Task Ls_of_a_folder_escapes_each_segment_and_a_missing_folder_exits_not_found()
    {
        var found = new ScriptedGateway(_ => (HttpStatusCode.OK, Listing));
        var missing = new ScriptedGateway(_ => (HttpStatusCode.NotFound, ScriptedGateway.Problem(404, "There is no folder 'no such'.")));

        var (exit, _, _) = await found.RunAsync("sandbox", "ls", "sbx_1:/site/my docs/");
        var (missingExit, _, stderr) = await missing.RunAsync("sandbox", "ls", "sbx_1:no such");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("/v1/sandboxes/sbx_1/dirs/site/my%20docs", found.Seen[0].PathAndQuery);
        Assert.Equal(ExitCodes.NotFound, missingExit);
        Assert.Contains("There is no folder", stderr);
    }
}
