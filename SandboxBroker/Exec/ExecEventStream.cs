using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Features;

namespace AgentCloud.SandboxBroker.Exec;

/// <summary>The <c>exit</c> event of a streamed exec: the buffered answer without its output.</summary>
public sealed record ExecExitEvent(int ExitCode, long DurationMs, bool TimedOut, bool Truncated);

/// <summary>A <c>stdout</c> or <c>stderr</c> event: the next piece of that output, decoded as UTF-8.</summary>
public sealed record ExecOutputEvent(string Text);

/// <summary>
/// Writes a streamed exec as server-sent events: <c>stdout</c>/<c>stderr</c> with <c>{"text"}</c> as output arrives
/// (decoded as UTF-8 across piece boundaries, invalid bytes as U+FFFD, exactly as the buffered answer decodes them),
/// then one <c>exit</c>. One pump writes everything, so the two outputs never interleave mid-event; when nothing has
/// been written for <c>keepAlive</c> it sends a comment line so proxies on the way keep an idle stream open.
/// A client that goes away ends the pump quietly; the exec itself is cancelled (and killed) by the request's abort.
/// </summary>
public sealed class ExecEventStream(HttpResponse response, TimeSpan keepAlive) : IExecOutput
{
    public const string ContentType = "text/event-stream";
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    private readonly Channel<string> _events = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Decoder _stdout = Encoding.UTF8.GetDecoder();
    private readonly Decoder _stderr = Encoding.UTF8.GetDecoder();
    private Task _pump = Task.CompletedTask;

    public bool Started { get; private set; }

    public async Task StartedAsync()
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        Started = true;
        try
        {
            await response.StartAsync();
        }
        catch (Exception e) when (IsClientGone(e))
        {
            // The caller left already; the exec still runs its course of being cancelled, and the pump finds the socket gone.
        }
        _pump = PumpAsync();
    }

    public ValueTask WriteAsync(ExecOutputStream stream, ReadOnlyMemory<byte> bytes)
    {
        Enqueue(stream, bytes.Span, flush: false);
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends what the decoders still hold, the <c>exit</c> event, and waits until all of it is written (or the client is gone).</summary>
    public async Task FinishAsync(ExecResult result)
    {
        Enqueue(ExecOutputStream.Stdout, [], flush: true);
        Enqueue(ExecOutputStream.Stderr, [], flush: true);
        _events.Writer.TryWrite(Event("exit", new ExecExitEvent(result.ExitCode, result.DurationMs, result.TimedOut, result.Truncated)));
        _events.Writer.TryComplete();
        await _pump;
    }

    private void Enqueue(ExecOutputStream stream, ReadOnlySpan<byte> bytes, bool flush)
    {
        var decoder = stream == ExecOutputStream.Stdout ? _stdout : _stderr;
        string text;
        lock (decoder)
        {
            var chars = new char[decoder.GetCharCount(bytes, flush)];
            text = new string(chars, 0, decoder.GetChars(bytes, chars, flush));
        }
        if (text.Length > 0)
        {
            // After exit the channel is complete: output a leftover process still writes is dropped, as the buffered form drops it.
            _events.Writer.TryWrite(Event(stream == ExecOutputStream.Stdout ? "stdout" : "stderr", new ExecOutputEvent(text)));
        }
    }

    private static string Event<T>(string name, T data) => $"event: {name}\ndata: {JsonSerializer.Serialize(data, Json)}\n\n";

    private async Task PumpAsync()
    {
        var reader = _events.Reader;
        try
        {
            while (true)
            {
                bool more;
                using (var idle = new CancellationTokenSource(keepAlive))
                {
                    try
                    {
                        more = await reader.WaitToReadAsync(idle.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        await response.WriteAsync(": keep-alive\n\n");
                        await response.Body.FlushAsync();
                        continue;
                    }
                }
                if (!more)
                {
                    return;
                }
                while (reader.TryRead(out var message))
                {
                    await response.WriteAsync(message);
                }
                await response.Body.FlushAsync();
            }
        }
        catch (Exception e) when (IsClientGone(e))
        {
            _events.Writer.TryComplete();
        }
    }

    private static bool IsClientGone(Exception e) => e is IOException or OperationCanceledException or ObjectDisposedException;
}
