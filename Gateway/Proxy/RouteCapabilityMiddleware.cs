using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Yarp.ReverseProxy.Model;

namespace AgentCloud.Gateway.Proxy;

/// <summary>
/// The one place a route's capability is enforced: after authentication, before rate limiting and forwarding, a caller
/// whose key lacks the capability the route names in <see cref="ProxyRoutes"/> gets 403 problem+json naming it. A
/// proxied route that names none is refused too (fail closed). The services keep their own checks as a second wall.
/// </summary>
public sealed class RouteCapabilityMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext http)
    {
        var route = http.GetEndpoint()?.Metadata.GetMetadata<RouteModel>();
        if (route is null)
        {
            return next(http); // not a proxied route: health, JWKS, or a 404
        }
        if (Console.ConsoleRoute.Is(route.Config))
        {
            return next(http); // the console signs its users in itself; its API calls come back through here with their keys
        }
        var caller = http.Features.Get<TenantContext>();
        var required = ProxyRoutes.CapabilityOf(route.Config);
        if (required is null)
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "route-without-capability", "Forbidden",
                $"The route '{route.Config.RouteId}' names no capability, so no key may use it.").ExecuteAsync(http);
        }
        if (caller is null || !CapabilityCatalogue.Satisfies(caller.Capabilities, required))
        {
            var what = required == CapabilityCatalogue.AnyTool ? "at least one 'tool:<name>' capability" : $"the '{required}' capability";
            return Problems.Create(StatusCodes.Status403Forbidden, "missing-capability", "Missing capability",
                $"This call needs {what}, which your key does not hold; ask the operator for a key that carries it.").ExecuteAsync(http);
        }
        return next(http);
    }
}
