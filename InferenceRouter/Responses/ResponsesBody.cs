using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.InferenceRouter.Responses;

/// <summary>
/// The response body a Responses call's chat relay writes into: a 200 chat completion is translated to a Response
/// (buffered, written whole at <see cref="CompleteAsync"/>), a 200 event stream to Responses events (event by event, as
/// each arrives), and anything else (a problem, an upstream's 4xx) passes through untouched. The relay stays the one
/// path that meters and bills, whatever shape the client asked for.
/// </summary>
internal sealed class ResponsesBody(HttpResponse response, Stream client, ResponsesRequest request, string id, long createdAt) : Stream
{
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    private enum Mode { Undecided, PassThrough, Whole, Events }

    private readonly MemoryStream _buffer = new();
    private readonly ResponseEventStream _events = new(id, createdAt, request.Model, request.Echo);
    private Mode _mode;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Decided at the first write or flush, when the relay has set the status and content type.</summary>
    private Mode Decide()
    {
        if (_mode == Mode.Undecided)
        {
            var type = response.ContentType ?? "";
            _mode = response.StatusCode != StatusCodes.Status200OK ? Mode.PassThrough
                : type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) ? Mode.Events
                : type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ? Mode.Whole
                : Mode.PassThrough;
            if (_mode is Mode.Whole or Mode.Events)
            {
                response.ContentLength = null; // a length the relay set is the chat's, not the translation's
            }
        }
        return _mode;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        switch (Decide())
        {
            case Mode.PassThrough:
                await client.WriteAsync(buffer, cancellationToken);
                break;
            case Mode.Whole:
                response.ContentLength = null;
                _buffer.Write(buffer.Span);
                break;
            case Mode.Events:
                _buffer.Write(buffer.Span);
                await TranslateEventsAsync(cancellationToken);
                break;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        var mode = Decide();
        if (mode == Mode.Events && !_events.Started)
        {
            await WriteEventsAsync(_events.Start(), cancellationToken);
        }
        if (mode != Mode.Whole)
        {
            await client.FlushAsync(cancellationToken);
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Writes what is left: the whole Response, or the stream's closing events (a failure if it never finished).</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_mode == Mode.Whole)
        {
            await WriteWholeAsync(cancellationToken);
        }
        else if (_mode == Mode.Events && !_events.Finished)
        {
            await WriteEventsAsync(_events.Finish(), cancellationToken);
            await client.FlushAsync(cancellationToken);
        }
    }

    private async Task WriteWholeAsync(CancellationToken cancellationToken)
    {
        JsonObject? result;
        try
        {
            result = JsonNode.Parse(_buffer.ToArray()) is { } completion
                ? ResponseObject.FromChatCompletion(completion, id, createdAt, request.Model, request.Echo)
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            result = null;
        }
        if (result is null)
        {
            // Headers are not sent yet (nothing was flushed), so the failure can still be a proper problem.
            response.StatusCode = StatusCodes.Status502BadGateway;
            response.ContentType = "application/problem+json";
            await client.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new JsonObject
            {
                ["type"] = Platform.Problems.TypeUri("upstream-failed"), ["title"] = "Model endpoint failed", ["status"] = 502,
                ["detail"] = $"The model endpoint for '{request.Model}' did not answer with a chat completion; try again.",
            }), cancellationToken);
            return;
        }
        var bytes = JsonSerializer.SerializeToUtf8Bytes(result);
        response.ContentLength = bytes.Length;
        await client.WriteAsync(bytes, cancellationToken);
    }

    /// <summary>Translates every complete server-sent event in the buffer; a partial one waits for its end.</summary>
    private async Task TranslateEventsAsync(CancellationToken cancellationToken)
    {
        var bytes = _buffer.GetBuffer().AsMemory(0, (int)_buffer.Length);
        var consumed = 0;
        while (bytes.Span[consumed..].IndexOf(EventEnd) is var end and >= 0)
        {
            var block = Encoding.UTF8.GetString(bytes.Span.Slice(consumed, end));
            consumed += end + EventEnd.Length;
            if (!_events.Started)
            {
                await WriteEventsAsync(_events.Start(), cancellationToken);
            }
            await WriteEventsAsync(Translate(block), cancellationToken);
        }
        var rest = bytes[consumed..].ToArray();
        _buffer.SetLength(0);
        _buffer.Write(rest);
    }

    private IReadOnlyList<JsonObject> Translate(string block)
    {
        var data = string.Join("\n", block.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].TrimStart()));
        if (data.Length == 0)
        {
            return [];
        }
        if (data == "[DONE]")
        {
            return _events.Finish();
        }
        try
        {
            return JsonNode.Parse(data) is { } chunk ? _events.Add(chunk) : [];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return []; // a chunk that is not a chat chunk carries nothing a Response could show
        }
    }

    private async Task WriteEventsAsync(IReadOnlyList<JsonObject> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            var text = $"event: {e["type"]!.GetValue<string>()}\ndata: {e.ToJsonString()}\n\n";
            await client.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
