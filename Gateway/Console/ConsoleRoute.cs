using Yarp.ReverseProxy.Configuration;

namespace AgentCloud.Gateway.Console;

/// <summary>
/// The console (<c>/console</c>, the app's own path base) forwarded to the Console service. It is anonymous here: the
/// console signs its users in itself and calls the API back through this Gateway with their keys, where every check
/// applies. So the route carries no capability, is limited per client address (<see cref="ConsoleRateLimit"/>), and
/// nothing of the caller's identity is forwarded to it (<see cref="ConsoleHeadersTransform"/>).
/// </summary>
public static class ConsoleRoute
{
    public const string Path = "/console";
    public const string RouteId = "console";
    public const string Service = "console";

    public static RouteConfig Route { get; } = new()
    {
        RouteId = RouteId,
        ClusterId = Service,
        // The catch-all also matches "/console" itself.
        Match = new RouteMatch { Path = Path + "/{**rest}" },
        RateLimiterPolicy = ConsoleRateLimit.PolicyName,
    };

    public static ClusterConfig Cluster(TimeSpan idleTimeout) => new()
    {
        ClusterId = Service,
        Destinations = new Dictionary<string, DestinationConfig> { [Service] = new() { Address = $"http://{Service}" } },
        HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = idleTimeout },
    };

    public static bool Is(RouteConfig route) => route.RouteId == RouteId;

    public static bool IsConsolePath(PathString path) => path.StartsWithSegments(Path);
}
