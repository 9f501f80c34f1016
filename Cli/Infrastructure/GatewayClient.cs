using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.Cli.Infrastructure;

/// <summary>The platform answered with an error; carries its problem+json detail.</summary>
public sealed class ApiException(HttpStatusCode status, string message, TimeSpan? retryAfter) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>The Gateway could not be reached at all.</summary>
public sealed class GatewayUnreachableException(string message, Exception inner) : Exception(message, inner);

/// <summary>Calls the public API of docs/api.md through the Gateway with the configured key.</summary>
public sealed class GatewayClient(HttpClient http, CliSettings settings)
{
    public CliSettings Settings => settings;

    public Task<JsonNode?> GetAsync(string path, CancellationToken ct) => SendJsonAsync(HttpMethod.Get, path, null, ct);

    public Task<JsonNode?> PostAsync(string path, JsonNode? body, CancellationToken ct) => SendJsonAsync(HttpMethod.Post, path, body, ct);

    public Task<JsonNode?> PutAsync(string path, JsonNode? body, CancellationToken ct) => SendJsonAsync(HttpMethod.Put, path, body, ct);

    public Task<JsonNode?> PatchAsync(string path, JsonNode? body, CancellationToken ct) => SendJsonAsync(HttpMethod.Patch, path, body, ct);

    public Task<JsonNode?> DeleteAsync(string path, CancellationToken ct) => SendJsonAsync(HttpMethod.Delete, path, null, ct);

    /// <summary>Puts raw bytes; answers the JSON body if there is one (an archive upload says what it unpacked).</summary>
    public async Task<JsonNode?> PutBytesAsync(string path, byte[] content, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Put, path);
        request.Content = new ByteArrayContent(content);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return response.Content.Headers.ContentType?.MediaType == "application/json" && text.Length > 0 ? JsonNode.Parse(text) : null;
    }

    public async Task<byte[]> GetBytesAsync(string path, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    /// <summary>Posts JSON and answers the body as text with its media type (for endpoints that may answer JSON or server-sent events).</summary>
    public async Task<(string Text, string? MediaType)> PostForTextAsync(string path, JsonNode body, IReadOnlyList<string> accept, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Post, path);
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        foreach (var mediaType in accept)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        return (await response.Content.ReadAsStringAsync(ct), response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Streams server-sent events, yielding each <c>data:</c> payload until <c>[DONE]</c>.</summary>
    public async IAsyncEnumerable<JsonNode> StreamAsync(string path, JsonNode body, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var request = Request(HttpMethod.Post, path);
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue;
            }
            var data = line["data:".Length..].Trim();
            if (data == "[DONE]")
            {
                yield break;
            }
            if (JsonNode.Parse(data) is { } node)
            {
                yield return node;
            }
        }
    }

    /// <summary>Streams named server-sent events (<c>event:</c> then <c>data:</c>), such as a streamed sandbox exec's.</summary>
    public IAsyncEnumerable<(string Event, JsonNode Data)> StreamEventsAsync(string path, JsonNode body, CancellationToken ct) =>
        StreamEventsAsync(HttpMethod.Post, path, body, ct);

    /// <summary>Server-sent events of a GET (a followed process log), as the POST form reads them.</summary>
    public IAsyncEnumerable<(string Event, JsonNode Data)> GetEventsAsync(string path, CancellationToken ct) =>
        StreamEventsAsync(HttpMethod.Get, path, null, ct);

    private async IAsyncEnumerable<(string Event, JsonNode Data)> StreamEventsAsync(
        HttpMethod method, string path, JsonNode? body, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var request = Request(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var name = "message";
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line["event:".Length..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal) && JsonNode.Parse(line["data:".Length..]) is { } data)
            {
                yield return (name, data);
                name = "message";
            }
        }
    }

    private async Task<JsonNode?> SendJsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = Request(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(settings.Url, path));
        if (settings.Key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.Key);
        }
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, ct);
        }
        catch (HttpRequestException e)
        {
            throw new GatewayUnreachableException($"Cannot reach the Gateway at {settings.Url}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new GatewayUnreachableException($"The Gateway at {settings.Url} did not answer in time.", e);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            throw new ApiException(response.StatusCode, await DescribeAsync(response, ct), response.Headers.RetryAfter?.Delta);
        }
    }

    private static async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            var problem = JsonNode.Parse(text);
            var title = problem?["title"]?.GetValue<string>();
            var detail = problem?["detail"]?.GetValue<string>();
            return $"{(int)response.StatusCode} {title ?? response.ReasonPhrase}{(detail is null ? "" : ": " + detail)}";
        }
        catch (JsonException)
        {
            return $"{(int)response.StatusCode} {response.ReasonPhrase}";
        }
    }
}
