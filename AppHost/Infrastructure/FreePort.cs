using System.Net;
using System.Net.Sockets;

namespace AgentCloud.AppHost.Infrastructure;

/// <summary>
/// Picks a free loopback port in the AppHost: local executables get fixed ports (not proxied) because a
/// dynamic target port cannot be read back in the AppHost to build their connection strings.
/// </summary>
public static class FreePort
{
    public static int Pick()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
