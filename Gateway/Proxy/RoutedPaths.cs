using Yarp.ReverseProxy.Configuration;

namespace AgentCloud.Gateway.Proxy;

/// <summary>
/// Whether a documented operation (an OpenAPI path template and a method) is one the Gateway routes: literal segments
/// must be equal, a <c>{parameter}</c> matches one segment, and a route's <c>{**rest}</c> matches whatever follows.
/// </summary>
public static class RoutedPaths
{
    public static bool IsRouted(string path, string method) =>
        ProxyRoutes.Routes.Any(r => Matches(r.Match.Path!, path)
            && (r.Match.Methods is null || r.Match.Methods.Contains(method, StringComparer.OrdinalIgnoreCase)));

    /// <summary>Whether the Gateway routes this operation to <paramref name="service"/> (and not to another service).</summary>
    public static bool IsRoutedTo(string service, string path, string method) =>
        ProxyRoutes.Routes.Any(r => ProxyRoutes.ServiceOf(r.ClusterId!) == service && Matches(r.Match.Path!, path)
            && (r.Match.Methods is null || r.Match.Methods.Contains(method, StringComparer.OrdinalIgnoreCase)));

    /// <summary>The route that serves a documented path, whatever the method; null when none does.</summary>
    public static RouteConfig? RouteOf(string path) => ProxyRoutes.Routes.FirstOrDefault(r => Matches(r.Match.Path!, path));

    public static bool Matches(string routeTemplate, string path)
    {
        var template = Segments(routeTemplate);
        var segments = Segments(path);
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i].StartsWith("{*", StringComparison.Ordinal))
            {
                return true;
            }
            if (i >= segments.Length)
            {
                return false;
            }
            var isParameter = template[i].StartsWith('{');
            if (!isParameter && !string.Equals(template[i], segments[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }
        return segments.Length == template.Length;
    }

    private static string[] Segments(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
