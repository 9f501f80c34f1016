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

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task A_client_that_leaves_mid_stream_gets_its_command_killed_and_the_sandbox_stays_usable(string level)
    {
        if (await SandboxAtAsync("stream-leave", level) is not var (client, sandbox))
        {
            return;
        }
        var live = Broker.Manager.List($"stream-leave-{level}").Single(s => s.Id == sandbox.Id);
        var slot = live.Slot;
        using var bound = new CancellationTokenSource(Bound);
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(bound.Token);

        var stream = await ServerSentEventReader.StreamExecAsync(client, sandbox.Id,
            new { command = new[] { "/bin/sh", "-c", "echo up; exec sleep 600" }, timeoutSeconds = 900, stream = true }, cancellationToken: leave.Token);
        await stream.UntilAsync(seen => seen.Any(e => e.Name == "stdout"), bound.Token);
        // The shell may still be becoming 'sleep' (exec) just after it printed.
        while (!SandboxProcesses.TenantCommands(Broker, slot).Contains("sleep"))
        {
            await Task.Delay(50, bound.Token);
        }
        await leave.CancelAsync();
        stream.Dispose();

        while (live.RunningExecs > 0 || SandboxProcesses.TenantCommands(Broker, slot).Contains("sleep"))
        {
            await Task.Delay(100, bound.Token);
        }
        var after = await client.ExecAsync(sandbox.Id, ["echo", "still here"]);
        Assert.Equal("still here\n", after.Stdout);
    }
}
