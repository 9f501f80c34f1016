using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace AgentCloud.Gateway.Tests;

/// <summary>Sends bytes no well-behaved HTTP client would, and reads back whatever the server answers.</summary>
internal static class RawHttp
{
    public static async Task<string> SendAsync(Uri server, byte[] bytes, TimeSpan? wait = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(bytes);
        using var timeout = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(15));
        var answer = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                answer.Write(buffer, 0, read);
                if (Encoding.ASCII.GetString(answer.ToArray()).Contains("\r\n\r\n"))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // The server may close the connection right after answering.
        }
        return Encoding.ASCII.GetString(answer.ToArray());
    }

    public static Task<string> SendAsync(Uri server, string text, TimeSpan? wait = null) => SendAsync(server, Encoding.UTF8.GetBytes(text), wait);

    public static int StatusOf(string answer) =>
        answer.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(answer.AsSpan(9, 3), CultureInfo.InvariantCulture) : 0;
}
