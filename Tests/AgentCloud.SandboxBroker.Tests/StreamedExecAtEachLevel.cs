using System.Net;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary><c>POST /v1/sandboxes/{id}/exec {"stream": true}</c> per isolation level: output as server-sent events while the command runs.</summary>
public abstract class StreamedExecAtEachLevel : LevelTests
{
    protected static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Output_streams_while_the_command_runs_then_exit_carries_its_code(string level)
    {
        if (await SandboxAtAsync("stream-order", level) is not var (client, sandbox))
        {
            return;
        }
        using var bound = new CancellationTokenSource(Bound);
        // The command cannot end before the test creates 'go', and the test does that only after the first events arrived.
        var script = "echo first; echo warned >&2; while [ ! -e go ]; do sleep 0.05; done; echo second; exit 7";

        using var stream = await ServerSentEventReader.StreamExecAsync(client, sandbox.Id, new { command = new[] { "/bin/sh", "-c", script }, timeoutSeconds = 60, stream = true }, cancellationToken: bound.Token);
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        var early = await stream.UntilAsync(seen =>
            string.Concat(seen.Where(e => e.Name == "stdout").Select(e => e.Text)).Contains("first\n")
            && string.Concat(seen.Where(e => e.Name == "stderr").Select(e => e.Text)).Contains("warned\n"), bound.Token);
        Assert.DoesNotContain(early, e => e.Name == "exit");
        await client.ShAsync(sandbox.Id, "touch go");
        var rest = await stream.UntilAsync(seen => seen.Any(e => e.Name == "exit"), bound.Token);

        Assert.Equal("exit", rest[^1].Name);
        Assert.Equal("second\n", string.Concat(rest.Where(e => e.Name == "stdout").Select(e => e.Text)));
        var exit = rest[^1].Data;
        Assert.Equal(7, exit.GetProperty("exitCode").GetInt32());
        Assert.False(exit.GetProperty("timedOut").GetBoolean());
        Assert.False(exit.GetProperty("truncated").GetBoolean());
        Assert.True(exit.GetProperty("durationMs").GetInt64() >= 0);
        Assert.Null(await stream.NextAsync(bound.Token));
    }
}
