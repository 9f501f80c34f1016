using System.Net;
using System.Net.Sockets;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// The address a client is limited by: its IPv4 address, or the /64 of an IPv6 one (one host usually owns a whole
/// /64, so limiting single IPv6 addresses would be no limit at all).
/// </summary>
public static class ClientAddress
{
    public static string Of(HttpContext http) => Of(http.Connection.RemoteIpAddress);

    public static string Of(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
