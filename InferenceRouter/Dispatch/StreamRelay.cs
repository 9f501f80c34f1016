using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Usage;

namespace AgentCloud.InferenceRouter.Dispatch;

/// <summary>
/// Passes a server-sent-event stream through event by event, flushing each one, so the client sees every chunk as
/// the upstream sends it. Reads the content deltas and the usage chunk on the way, for metering.
/// </summary>
public static class StreamRelay
{
    public static async Task RelayAsync(HttpContext http, HttpResponseMessage upstream, UsageTally tally, CancellationToken cancellationToken)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.Body.FlushAsync(cancellationToken);

        await using var body = await upstream.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var lines = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                lines.Add(line);
                continue;
            }
            await ForwardAsync(http, lines, tally, cancellationToken);
            lines.Clear();
        }
        await ForwardAsync(http, lines, tally, cancellationToken);
    }

    private static async Task ForwardAsync(HttpContext http, List<string> lines, UsageTally tally, CancellationToken cancellationToken)
    {
        if (lines.Count == 0)
        {
            return;
        }
        var data = string.Join("\n", lines.Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].TrimStart()));
        if (data.Length > 0 && data != "[DONE]" && !Inspect(data, tally) && !tally.Call.ClientWantsUsage)
        {
            // A usage-only chunk the router asked for on the client's behalf: metered, not forwarded.
            return;
        }
        var text = new StringBuilder();
        if (data.Length > 0 && data != "[DONE]" && PublicModel.IsAliased(tally.Call) && Aliased(data, tally) is { } restored)
        {
            text.Append("data: ").Append(restored).Append('\n');
        }
        else
        {
            foreach (var line in lines)
            {
                text.Append(line).Append('\n');
            }
        }
        text.Append('\n');
        await http.Response.WriteAsync(text.ToString(), cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }

    /// <summary>The chunk with the public model id in place of the upstream's name; null when it is not JSON.</summary>
    private static string? Aliased(string data, UsageTally tally)
    {
        try
        {
            var chunk = JsonNode.Parse(data);
            return PublicModel.Restore(chunk, tally.Call) ? chunk!.ToJsonString() : data;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Records the chunk's content and usage; false when it is a usage-only chunk.</summary>
    private static bool Inspect(string data, UsageTally tally)
    {
        JsonNode? chunk;
        try
        {
            chunk = JsonNode.Parse(data);
        }
        catch (JsonException)
        {
            return true;
        }
        if (chunk?["choices"] is JsonArray choices)
        {
            foreach (var choice in choices)
            {
                if (choice?["delta"]?["content"] is JsonValue content && content.TryGetValue<string>(out var piece))
                {
                    tally.AddStreamed(piece);
                }
                // Tool calls are output too: their names and argument fragments count, as the upstream bills them.
                foreach (var call in choice?["delta"]?["tool_calls"] as JsonArray ?? [])
                {
                    foreach (var field in new[] { "name", "arguments" })
                    {
                        if (call?["function"]?[field] is JsonValue value && value.TryGetValue<string>(out var text))
                        {
                            tally.AddStreamed(text);
                        }
                    }
                }
            }
            var reported = UsageJson.TryReport(chunk["usage"], tally);
            return !(reported && choices.Count == 0);
        }
        return true;
    }
}
