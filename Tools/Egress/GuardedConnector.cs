using System.Net;
using AgentCloud.Platform.Egress;
using AgentCloud.Tools.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.Tools.Egress;

/// <summary>
/// Opens every outbound connection of the tool gateway (tool servers, <c>http.fetch</c>) through
/// <see cref="GuardedSockets"/>: only addresses <see cref="AddressRules"/> admits, checked at the moment of the call.
/// </summary>
public sealed class GuardedConnector(IOptions<ToolsOptions> options)
{
    public SocketsHttpHandler CreateHandler() => GuardedSockets.CreateHandler(async (context, ct) =>
    {
        var admitted = await AdmittedAddressesAsync(context.DnsEndPoint.Host, ct);
        return admitted.Count > 0 ? admitted
            : throw new EgressRefusedException($"'{context.DnsEndPoint.Host}' resolves only to loopback, private or link-local addresses, which tools may not reach.");
    });

    public async Task<IReadOnlyList<IPAddress>> AdmittedAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = await GuardedSockets.ResolveAsync(host, cancellationToken);
        return options.Value.AllowPrivateAddresses ? addresses : [.. addresses.Where(AddressRules.IsPublic)];
    }
}

/// <summary>An outbound call the SSRF rules refuse.</summary>
public sealed class EgressRefusedException(string message) : Exception(message);
