using System.Net.Http.Json;
using System.Text.Json;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>One server-sent event: its name and its data parsed as JSON.</summary>
public sealed record ServerSentEvent(string Name, JsonElement Data)
{
    public string Text => Data.GetProperty("text").GetString()!;
}

/// <summary>Reads a <c>text/event-stream</c> answer event by event as it arrives (comment lines are counted, not returned).</summary>
public sealed class ServerSentEventReader(HttpResponseMessage response) : IDisposable
{
    private StreamReader? _reader;

    public int Comments { get; private set; }

    public static async Task<ServerSentEventReader> StreamExecAsync(HttpClient client, string id, object body, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sandboxes/{id}/exec") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add(AgentCloud.SandboxBroker.Apis.IdempotencyFilter.Header, idempotencyKey);
        }
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return new ServerSentEventReader(response);
    }

    public HttpResponseMessage Response => response;

    /// <summary>The next event, or null at the end of the stream.</summary>
    public async Task<ServerSentEvent?> NextAsync(CancellationToken cancellationToken)
    {
        _reader ??= new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string? name = null;
        string? data = null;
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null && data is not null)
                {
                    return new ServerSentEvent(name, JsonDocument.Parse(data).RootElement.Clone());
                }
                continue;
            }
            if (line.StartsWith(':'))
            {
                Comments++;
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
        }
        return null;
    }

    /// <summary>Reads until an event matches, returning every event read on the way (the match last).</summary>
    public async Task<List<ServerSentEvent>> UntilAsync(Func<List<ServerSentEvent>, bool> done, CancellationToken cancellationToken)
    {
        var seen = new List<ServerSentEvent>();
        while (!done(seen))
        {
            seen.Add(await NextAsync(cancellationToken) ?? throw new Xunit.Sdk.XunitException($"the stream ended after {string.Join(", ", seen.Select(e => e.Name))}"));
        }
        return seen;
    }

    public void Dispose()
    {
        _reader?.Dispose();
        response.Dispose();
    }
}
