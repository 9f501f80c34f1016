using System.Net;
using AgentCloud.Platform.Egress;

namespace AgentCloud.Tools.Egress;

/// <summary>
/// The SSRF rules of the sandboxes' egress proxy, for the tool gateway's own outbound calls: no loopback, private,
/// link-local, unique-local, carrier-grade NAT, multicast or unspecified addresses, unless the operator admits them.
/// </summary>
public static class AddressRules
{
    /// <summary>The platform's one SSRF address rule (shared with the sandboxes' egress proxy).</summary>
    public static bool IsPublic(IPAddress address) => PublicAddresses.IsPublic(address);

    /// <summary>Why a URL may not be called at all (scheme, credentials in it), before any address is looked at; null when fine.</summary>
    public static string? RefuseUrl(Uri url)
    {
        if (url.Scheme is not ("http" or "https"))
        {
            return $"only http and https URLs are allowed, not '{url.Scheme}'";
        }
        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            return "URLs may not carry a user name or password; store credentials in the vault";
        }
        // Single-label names are the platform's own service names (and intranet hosts), never a tool's.
        if (url.HostNameType == UriHostNameType.Dns && !url.IdnHost.Contains('.', StringComparison.Ordinal) && url.IdnHost != "localhost")
        {
            return $"'{url.IdnHost}' is not a fully qualified host name";
        }
        return null;
    }
}
