using System.Net;
using System.Net.Sockets;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// The address a broker tells siblings when none is configured. A wildcard bind becomes the pod's IP when the platform
/// gives one (POD_IP), else the first non-loopback address this host's name resolves to (a container's own IP), and
/// only as a last resort loopback, which reaches siblings on this same machine alone (so it says so).
/// </summary>
public static class AdvertisedAddress
{
    private static readonly string[] Wildcards = ["://+:", "://*:", "://0.0.0.0:", "://[::]:"];

    public static string For(string bound, string? podIp, IEnumerable<IPAddress> hostAddresses, out string? warning)
    {
        warning = null;
        var wildcard = Wildcards.FirstOrDefault(w => bound.Contains(w, StringComparison.Ordinal));
        if (wildcard is null)
        {
            return bound.TrimEnd('/');
        }
        var ip = IPAddress.TryParse(podIp?.Trim(), out var pod) ? pod
            : hostAddresses.Where(a => !IPAddress.IsLoopback(a) && a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal)
                .OrderBy(a => a.AddressFamily == AddressFamily.InterNetworkV6).FirstOrDefault();
        if (ip is not null)
        {
            var host = ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
            return bound.Replace(wildcard, $"://{host}:", StringComparison.Ordinal).TrimEnd('/');
        }
        warning = $"The broker is bound to a wildcard ({bound}) and neither SandboxBroker:Fleet:Address nor POD_IP is set, nor does this host's name " +
            "resolve to a non-loopback address: siblings are told to reach it over loopback, which works only on this same machine. " +
            "In a deployment set SandboxBroker__Fleet__Address or POD_IP.";
        return bound.Replace(wildcard, "://127.0.0.1:", StringComparison.Ordinal).TrimEnd('/');
    }

    /// <summary>What this host's name resolves to; none when it does not resolve.</summary>
    public static IPAddress[] OfThisHost()
    {
        try
        {
            return Dns.GetHostAddresses(Dns.GetHostName());
        }
        catch (SocketException)
        {
            return [];
        }
    }
}
