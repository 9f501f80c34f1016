using System.Net;
using System.Net.Sockets;

namespace AgentCloud.AppHost.Infrastructure;

/// <summary>
/// Picks a free loopback port in the AppHost: local executables and services get fixed ports (not proxied), because
/// a dynamic target port cannot be read back in the AppHost to build their connection strings. A port is only bound
/// when its process starts, so a pick never repeats one handed out before, nor one in <c>avoid</c> (ports configured
/// for other resources).
/// </summary>
public static class FreePort
{
    private static readonly HashSet<int> HandedOut = [];

    public static int Pick(params int[] avoid)
    {
        lock (HandedOut)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (!avoid.Contains(port) && HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
