using System.Net;
using System.Net.Sockets;

namespace AgentCloud.Tools.Egress;

/// <summary>
/// The SSRF rules of the sandboxes' egress proxy, for the tool gateway's own outbound calls: no loopback, private,
/// link-local, unique-local, carrier-grade NAT, multicast or unspecified addresses, unless the operator admits them.
/// </summary>
public static class AddressRules
{
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
        {
            return false;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 10 || b[0] == 0 || b[0] >= 224 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127));
        }
        return true;
    }

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
