using System.Net.WebSockets;
using AgentCloud.Platform;
using AgentCloud.SandboxBroker.Processes;
using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Apis;

/// <summary>
/// A WebSocket to a port inside the sandbox: the broker opens one to the server inside over the same in-sandbox
/// forwarder an HTTP request uses, accepts the caller's, and relays messages both ways until either side closes.
/// </summary>
public static class SandboxPortWebSockets
{
    private const int BufferBytes = 16 * 1024;

    public static async Task<IResult> ForwardAsync(HttpContext http, Sandbox sandbox, SandboxPorts ports, int port, string? path)
    {
        using var handler = new SocketsHttpHandler { ConnectCallback = (_, _) => ValueTask.FromResult(ports.Connect(sandbox, port)), UseProxy = false };
        using var invoker = new HttpMessageInvoker(handler);
        using var inner = new ClientWebSocket();
        foreach (var protocol in http.WebSockets.WebSocketRequestedProtocols)
        {
            inner.Options.AddSubProtocol(protocol);
        }
        try
        {
            await inner.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/{path}{http.Request.QueryString}"), invoker, http.RequestAborted);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException)
        {
            return Problems.Create(StatusCodes.Status502BadGateway, "sandbox-port-no-answer", "No answer",
                $"No WebSocket server answered on port {port} inside sandbox '{sandbox.Id}'; is one listening on 127.0.0.1:{port} there?");
        }
        using var outer = await http.WebSockets.AcceptWebSocketAsync(inner.SubProtocol);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        await Task.WhenAny(RelayAsync(outer, inner, done.Token), RelayAsync(inner, outer, done.Token));
        await done.CancelAsync();
        return Results.Empty;
    }

    /// <summary>Copies messages from one socket to the other; a close on one side closes the other with the same status.</summary>
    private static async Task RelayAsync(WebSocket from, WebSocket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferBytes];
        try
        {
            while (true)
            {
                var received = await from.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await to.CloseAsync(from.CloseStatus ?? WebSocketCloseStatus.NormalClosure, from.CloseStatusDescription, cancellationToken);
                    }
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // One side went away; the caller's request ends and both sockets are disposed.
        }
    }
}
