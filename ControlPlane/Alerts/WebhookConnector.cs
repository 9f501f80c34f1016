using System.Net;
using AgentCloud.ControlPlane.Extensions;
using AgentCloud.Platform.Egress;
using Microsoft.Extensions.Options;

namespace AgentCloud.ControlPlane.Alerts;

/// <summary>
/// Opens every connection an alert delivery makes through <see cref="GuardedSockets"/>: the webhook's host is resolved at
/// that moment and only addresses <see cref="WebhookAddressRules"/> admits are dialled, so a name re-pointed at an
/// internal address after it was configured is refused at delivery.
/// </summary>
public sealed class WebhookConnector(IOptions<AlertOptions> options)
{
    private bool AllowLoopback => options.Value.AllowLoopbackReceivers == true;

    public SocketsHttpHandler CreateHandler() => GuardedSockets.CreateHandler(AdmittedAsync);

    private async ValueTask<IReadOnlyList<IPAddress>> AdmittedAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var resolved = await GuardedSockets.ResolveAsync(host, ct);
        var admitted = resolved.Where(a => WebhookAddressRules.Admits(a, AllowLoopback)).ToArray();
        if (admitted.Length == 0)
        {
            throw new WebhookRefusedException($"'{host}' now resolves only to loopback, private or internal addresses, which alerts may not be sent to.");
        }
        if (context.InitialRequestMessage.RequestUri?.Scheme == Uri.UriSchemeHttp && !admitted.All(WebhookAddressRules.IsLoopback))
        {
            throw new WebhookRefusedException("Plain http is used only for a loopback receiver; this webhook's host is not one.");
        }
        return admitted;
    }
}

/// <summary>A delivery the SSRF rules refuse at the moment of sending: final, never retried.</summary>
public sealed class WebhookRefusedException(string message) : Exception(message);
