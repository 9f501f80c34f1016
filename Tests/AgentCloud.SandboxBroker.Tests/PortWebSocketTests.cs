using System.Net.WebSockets;
using System.Text;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>A WebSocket to a port inside the sandbox, relayed by the broker; another tenant's upgrade is refused with 404.</summary>
[Collection(BrokerCollection.Name)]
public sealed class PortWebSocketTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    /// <summary>A one-message WebSocket echo server in the standard library only (the handshake and one masked text frame).</summary>
    private const string EchoServer = """
        import socket, hashlib, base64
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 8090)); s.listen()
        while True:
            c, _ = s.accept()
            req = b""
            while b"\r\n\r\n" not in req:
                req += c.recv(4096)
            key = [l.split(b":", 1)[1].strip() for l in req.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key")][0]
            accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            def read(n):
                b = b""
                while len(b) < n:
                    chunk = c.recv(n - len(b))
                    if not chunk:
                        raise EOFError
                    b += chunk
                return b
            h = read(2); n = h[1] & 127
            if n == 126:
                n = int.from_bytes(read(2), "big")
            mask = read(4)
            data = bytes(x ^ mask[i % 4] for i, x in enumerate(read(n)))
            reply = b"echo: " + data
            c.sendall(bytes([0x81, len(reply)]) + reply)
            c.close()
        """;

    private WebSocketClientFor Client(string tenant) => new(Broker, TestTenantContexts.Tenant(tenant));

    private sealed class WebSocketClientFor(BrokerFactory broker, TenantContext context)
    {
        public Task<WebSocket> ConnectAsync(string path, CancellationToken cancellationToken)
        {
            var client = broker.Server.CreateWebSocketClient();
            client.ConfigureRequest = request => request.Headers[TenantContextHeaders.Context] = TestTenantContexts.Mint(context);
            return client.ConnectAsync(new Uri(broker.Server.BaseAddress, path.Replace("http", "ws", StringComparison.Ordinal)), cancellationToken);
        }
    }

    [Fact]
    public async Task A_message_reaches_a_websocket_server_inside_and_its_answer_comes_back_and_another_tenant_gets_404()
    {
        if (!Broker.Services.GetRequiredService<IsolationCatalog>().IsAvailable(IsolationLevels.Bubblewrap) || !File.Exists("/usr/bin/python3"))
        {
            return;
        }
        var client = Broker.ClientFor("port-ws");
        var sandbox = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Bubblewrap });
        await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/ws.py", new StringContent(EchoServer));
        await client.StartProcessAsync(sandbox.Id, ["python3", "ws.py"]);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var path = $"/v1/sandboxes/{sandbox.Id}/ports/8090/chat";
        WebSocket? socket = null;
        for (var tries = 0; socket is null; tries++)
        {
            try
            {
                socket = await Client("port-ws").ConnectAsync(path, bound.Token);
            }
            catch (InvalidOperationException) when (tries < 100)
            {
                // 502 until the server listens.
                await Task.Delay(100, bound.Token);
            }
        }

        using (socket)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes("hi"), WebSocketMessageType.Text, true, bound.Token);
            var buffer = new byte[256];
            var received = await socket.ReceiveAsync(buffer, bound.Token);
            Assert.Equal("echo: hi", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Client("port-ws-other").ConnectAsync(path, bound.Token));
        Assert.Contains("404", refused.Message);
    }
}
