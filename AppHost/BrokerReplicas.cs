using System.Globalization;

namespace AgentCloud.AppHost;

/// <summary>
/// How many SandboxBroker replicas run: <c>AgentCloud:Replicas:sandbox-broker</c>, else <c>AgentCloud:Replicas</c>, else 2.
/// Replicas share one sandbox root on a machine (each claims an instance of it) and Redis, where sandboxes' owners are kept.
/// </summary>
public static class BrokerReplicas
{
    public const int Default = 2;

    public static int Of(IConfiguration configuration, string service)
    {
        foreach (var key in new[] { $"AgentCloud:Replicas:{service}", "AgentCloud:Replicas" })
        {
            if (int.TryParse(configuration[key], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1)
            {
                return n;
            }
        }
        return Default;
    }
}
