using System.Net;
using System.Net.Sockets;
using AgentCloud.Tools.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.Tools.Egress;

/// <summary>
/// Opens every outbound connection of the tool gateway (tool servers, <c>http.fetch</c>) itself: it resolves the host,
/// drops the addresses <see cref="AddressRules"/> refuse and connects only to what is left, so a name that resolves, or
/// is re-pointed after registration, to an internal address is refused at the moment of the call (no DNS rebinding).
/// </summary>
public sealed class GuardedConnector(IOptions<ToolsOptions> options)
{
    public SocketsHttpHandler CreateHandler() => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        ConnectCallback = ConnectAsync,
    };

    public async Task<IReadOnlyList<IPAddress>> AdmittedAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        return options.Value.AllowPrivateAddresses ? addresses : [.. addresses.Where(AddressRules.IsPublic)];
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var admitted = await AdmittedAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        if (admitted.Count == 0)
        {
            throw new EgressRefusedException($"'{context.DnsEndPoint.Host}' resolves only to loopback, private or link-local addresses, which tools may not reach.");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync([.. admitted], context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>An outbound call the SSRF rules refuse.</summary>
public sealed class EgressRefusedException(string message) : Exception(message);
