using System.Net;
using System.Net.Sockets;
using AgentCloud.Platform.Egress;

namespace AgentCloud.ControlPlane.Alerts;

/// <summary>
/// The egress SSRF rule applied to tenants' webhooks: only public addresses, over https. A loopback receiver over plain
/// http is admitted only where <c>AllowLoopbackReceivers</c> is on (tests, the local demo); private, link-local and
/// internal addresses never are. Checked when the URL is configured and again on the resolved address of every attempt.
/// </summary>
public static class WebhookAddressRules
{
    public const int MaxUrlLength = 2048;

    public static bool Admits(IPAddress address, bool allowLoopback) =>
        PublicAddresses.IsPublic(address) || (allowLoopback && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));

    /// <summary>Why the URL may not receive alerts (syntax, scheme, or where its host resolves), or null when it may.</summary>
    public static async Task<string?> RefuseAsync(string? url, bool allowLoopback, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return $"'url' must be an absolute https URL of at most {MaxUrlLength} characters, e.g. https://hooks.example.com/agentcloud.";
        }
        if (uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            return "'url' may not carry a user name, password or fragment: the requests are authenticated by their signature.";
        }
        IPAddress[] addresses;
        try
        {
            addresses = await GuardedSockets.ResolveAsync(uri.IdnHost, ct);
        }
        catch (SocketException)
        {
            return $"The webhook's host '{uri.IdnHost}' does not resolve: give a host name with a public DNS record.";
        }
        if (addresses.Length == 0 || !addresses.All(a => Admits(a, allowLoopback)))
        {
            return $"The webhook's host '{uri.IdnHost}' is or resolves to a loopback, private, link-local or otherwise internal address, which alerts may not be sent to: give a URL whose host is public.";
        }
        if (uri.Scheme == Uri.UriSchemeHttp && !addresses.All(IsLoopback))
        {
            return "'url' must use https: alerts are sent in plain http only to a loopback receiver, where that is allowed.";
        }
        return null;
    }

    public static bool IsLoopback(IPAddress address) => IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
