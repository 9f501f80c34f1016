using System.Text;
using AgentCloud.SandboxBroker.Exec;
using Microsoft.AspNetCore.Http;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>The event framing of a streamed exec, on an in-memory response.</summary>
public sealed class ExecEventStreamTests
{
    private static (DefaultHttpContext Http, MemoryStream Body) Response()
    {
        var http = new DefaultHttpContext();
        var body = new MemoryStream();
        http.Response.Body = body;
        return (http, body);
    }

    private static string Text(MemoryStream body) => Encoding.UTF8.GetString(body.ToArray());

    [Fact]
    public async Task A_character_split_across_two_pieces_arrives_whole_and_exit_comes_last()
    {
        var (http, body) = Response();
        var events = new ExecEventStream(http.Response, TimeSpan.FromMinutes(1));
        var euro = "€"u8.ToArray();

        await events.StartedAsync();
        await events.WriteAsync(ExecOutputStream.Stdout, euro.AsMemory(0, 1));
        await events.WriteAsync(ExecOutputStream.Stdout, euro.AsMemory(1));
        await events.WriteAsync(ExecOutputStream.Stderr, "bad\n"u8.ToArray());
        await events.FinishAsync(new ExecResult(3, "€", "bad\n", 12, false, false));

        Assert.Equal("text/event-stream", http.Response.ContentType);
        var frames = Text(body).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('\n')).ToList();
        Assert.Equal(["event: stdout", "event: stderr", "event: exit"], frames.Select(f => f[0]));
        var data = frames.Select(f => System.Text.Json.JsonDocument.Parse(f[1]["data: ".Length..]).RootElement).ToList();
        Assert.Equal("€", data[0].GetProperty("text").GetString());
        Assert.Equal("bad\n", data[1].GetProperty("text").GetString());
        Assert.Equal(3, data[2].GetProperty("exitCode").GetInt32());
        Assert.Equal(12, data[2].GetProperty("durationMs").GetInt64());
    }

    [Fact]
    public async Task An_idle_stream_sends_keep_alive_comments_until_output_comes()
    {
        var (http, body) = Response();
        var events = new ExecEventStream(http.Response, TimeSpan.FromMilliseconds(20));

        await events.StartedAsync();
        while (!Text(body).Contains(": keep-alive\n\n", StringComparison.Ordinal))
        {
            await Task.Delay(10);
        }
        await events.WriteAsync(ExecOutputStream.Stdout, "late\n"u8.ToArray());
        await events.FinishAsync(new ExecResult(0, "late\n", "", 50, false, false));

        var text = Text(body);
        Assert.StartsWith(": keep-alive\n\n", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("event: stdout", StringComparison.Ordinal) < text.IndexOf("event: exit", StringComparison.Ordinal));
        Assert.EndsWith("\"truncated\":false}\n\n", text, StringComparison.Ordinal);
    }
}
