using System.Net;
using System.Net.Sockets;

namespace AgentCloud.Platform.Egress;

/// <summary>
/// Outbound HTTP that connects only where a rule admits: the host is resolved at the moment of each connection and only
/// the admitted addresses are dialled, so a name re-pointed at an internal address after it was checked (DNS rebinding)
/// is refused then. No proxy, no redirects, no cookies. Used by every service that calls a URL a tenant gave.
/// </summary>
public static class GuardedSockets
{
    /// <summary>How long a name may take to resolve before the call fails as if it did not resolve.</summary>
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    /// <param name="admittedAddresses">
    /// The addresses this connection may use; it throws (its caller's own refusal exception) when none are admitted.
    /// </param>
    public static SocketsHttpHandler CreateHandler(
        Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<IReadOnlyList<IPAddress>>> admittedAddresses) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        ConnectCallback = async (context, ct) => await ConnectAsync(await admittedAddresses(context, ct), context.DnsEndPoint.Port, ct),
    };

    /// <summary>The host's addresses (an IP literal as itself); a timeout is a <see cref="SocketException"/> like a failed lookup.</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        var bare = host.Trim('[', ']');
        if (IPAddress.TryParse(bare, out var literal))
        {
            return [literal];
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ResolveTimeout);
        try
        {
            return await Dns.GetHostAddressesAsync(bare, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SocketException((int)SocketError.TimedOut);
        }
    }

    private static async ValueTask<Stream> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync([.. addresses], port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
