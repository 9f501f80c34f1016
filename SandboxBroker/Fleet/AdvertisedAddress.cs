namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// The address a broker tells siblings when none is configured: a wildcard bind becomes the pod's IP when the
/// platform gives one (POD_IP), else loopback, which only siblings on the same machine reach (so it says so).
/// </summary>
public static class AdvertisedAddress
{
    private static readonly string[] Wildcards = ["://+:", "://*:", "://0.0.0.0:", "://[::]:"];

    public static string For(string bound, string? podIp, out string? warning)
    {
        warning = null;
        var wildcard = Wildcards.FirstOrDefault(w => bound.Contains(w, StringComparison.Ordinal));
        if (wildcard is null)
        {
            return bound.TrimEnd('/');
        }
        if (!string.IsNullOrWhiteSpace(podIp))
        {
            var host = podIp.Contains(':', StringComparison.Ordinal) ? $"[{podIp.Trim()}]" : podIp.Trim();
            return bound.Replace(wildcard, $"://{host}:", StringComparison.Ordinal).TrimEnd('/');
        }
        warning = $"The broker is bound to a wildcard ({bound}) and neither SandboxBroker:Fleet:Address nor POD_IP is set: siblings are told to " +
            "reach it over loopback, which works only for brokers on this same machine. In a deployment set SandboxBroker__Fleet__Address or POD_IP.";
        return bound.Replace(wildcard, "://127.0.0.1:", StringComparison.Ordinal).TrimEnd('/');
    }
}
