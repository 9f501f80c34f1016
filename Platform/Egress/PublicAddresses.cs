using System.Net;
using System.Net.Sockets;

namespace AgentCloud.Platform.Egress;

/// <summary>
/// The one SSRF rule for every outbound call the platform makes for a tenant (the sandboxes' egress proxy, the tool
/// gateway's http.fetch and MCP servers): no loopback, private, link-local, unique-local, carrier-grade NAT,
/// multicast or unspecified address, so an allowed name cannot be pointed at the host or its internal networks.
/// </summary>
public static class PublicAddresses
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
}
