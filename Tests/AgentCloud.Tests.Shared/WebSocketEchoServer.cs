namespace AgentCloud.Tests.Shared;

/// <summary>
/// A WebSocket echo server in python3's standard library only (the handshake and one masked text frame a connection,
/// answered as "echo: " and the text), for tests that run it inside a sandbox, where no package can be installed.
/// </summary>
public static class WebSocketEchoServer
{
    public static string Python(int port) => Script.Replace("PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private const string Script = """
    import socket, hashlib, base64
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", PORT)); s.listen()
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
}
