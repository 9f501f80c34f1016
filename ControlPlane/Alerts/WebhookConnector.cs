using System.Net.Sockets;
using AgentCloud.ControlPlane.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.ControlPlane.Alerts;

/// <summary>
/// Opens every connection an alert delivery makes itself: it resolves the webhook's host at that moment and connects only
/// to addresses <see cref="WebhookAddressRules"/> admits, so a name re-pointed at an internal address after it was
/// configured (DNS rebinding) is refused at delivery. No proxy, no redirects, no cookies.
/// </summary>
public sealed class WebhookConnector(IOptions<AlertOptions> options)
{
    private bool AllowLoopback => options.Value.AllowLoopbackReceivers == true;

    public SocketsHttpHandler CreateHandler() => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        ConnectCallback = ConnectAsync,
    };

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var resolved = await WebhookAddressRules.ResolveAsync(host, ct);
        var admitted = resolved.Where(a => WebhookAddressRules.Admits(a, AllowLoopback)).ToArray();
        if (admitted.Length == 0)
        {
            throw new WebhookRefusedException($"'{host}' now resolves only to loopback, private or internal addresses, which alerts may not be sent to.");
        }
        if (context.InitialRequestMessage.RequestUri?.Scheme == Uri.UriSchemeHttp && !admitted.All(WebhookAddressRules.IsLoopback))
        {
            throw new WebhookRefusedException("Plain http is used only for a loopback receiver; this webhook's host is not one.");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(admitted, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A delivery the SSRF rules refuse at the moment of sending: final, never retried.</summary>
public sealed class WebhookRefusedException(string message) : Exception(message);
