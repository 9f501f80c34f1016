using System.Globalization;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Processes;
using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Apis;

/// <summary>
/// <c>/v1/sandboxes/{id}/ports/{port}/{**path}</c>: an HTTP request forwarded to a server listening on that port inside
/// the caller's own sandbox (anyone else's is 404). The platform's own credentials never reach the server.
/// </summary>
public static class SandboxPortsApi
{
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade",
        "Proxy-Authorization", "Proxy-Authenticate", "Content-Length",
    };

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    /// <summary>On the sandboxes group, so its capability check applies.</summary>
    public static RouteGroupBuilder MapSandboxPorts(this RouteGroupBuilder api)
    {
        api.Map("/{id}/ports/{port}/{**path}", ForwardAsync);
        return api;
    }

    public static async Task<IResult> ForwardAsync(TenantContext ctx, string id, string port, string? path, SandboxManager manager, SandboxPorts ports, HttpContext http)
    {
        if (manager.Find(ctx.TenantId, id) is not { } sandbox)
        {
            return SandboxesApi.NotFound(id);
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "bad-request", "Bad request", $"port must be a number from 1 to 65535, not '{port}'.");
        }
        if (SandboxPorts.Unreachable(sandbox) is { } reason)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "sandbox-port-unavailable", "Port unavailable", reason);
        }
        sandbox.LastUsedAt = DateTimeOffset.UtcNow;
        if (http.WebSockets.IsWebSocketRequest)
        {
            return await SandboxPortWebSockets.ForwardAsync(http, sandbox, ports, number, path);
        }
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, _) => ValueTask.FromResult(ports.Connect(sandbox, number)),
            UseProxy = false, AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        using var client = new HttpClient(handler) { Timeout = RequestTimeout };
        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), $"http://127.0.0.1:{number}/{path}{http.Request.QueryString}");
        if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(http.Request.Body);
        }
        foreach (var (name, values) in http.Request.Headers)
        {
            if (NotForwarded.Contains(name) || name.StartsWith("x-agentcloud", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return Problems.Create(StatusCodes.Status502BadGateway, "sandbox-port-no-answer", "No answer",
                $"Nothing answered HTTP on port {number} inside sandbox '{id}'; is a server listening on 127.0.0.1:{number} there?");
        }
        catch (TaskCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            return Problems.Create(StatusCodes.Status504GatewayTimeout, "sandbox-port-timeout", "No answer in time",
                $"The server on port {number} inside sandbox '{id}' did not answer within {RequestTimeout.TotalSeconds:F0} s.");
        }
        using (response)
        {
            http.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                // The server is the tenant's code: a platform header in its answer (e.g. the revoked keys the Gateway drops
                // from its cache) would speak for the broker, so none passes, as none passes in.
                if (!NotForwarded.Contains(name) && !name.StartsWith("x-agentcloud", StringComparison.OrdinalIgnoreCase))
                {
                    http.Response.Headers[name] = values.ToArray();
                }
            }
            await response.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
        }
        return Results.Empty;
    }
}
