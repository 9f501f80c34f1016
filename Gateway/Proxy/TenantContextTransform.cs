using AgentCloud.Gateway.Signing;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AgentCloud.Gateway.Proxy;

/// <summary>
/// On every proxied call: removes every <c>x-agentcloud-*</c> header the client sent (tenant contexts, the broker fleet's
/// hop mark, anything services set between themselves) but its lane choice, and every <c>x-tenant-*</c> header,
/// and the caller's own key (<c>Authorization</c>: services never need it, so it never travels past the Gateway),
/// then attaches a freshly minted, signed context for the caller the Gateway authenticated, and the key's default
/// lane when the call names none. The context names the destination service as its only audience, so no other service
/// accepts it; for each service the destination calls on the caller's behalf (<see cref="ServiceNames.OnwardOf"/>) an
/// onward context is added that only that service accepts, marked as coming via the destination.
/// </summary>
public static class TenantContextTransform
{
    public static void Apply(TransformBuilderContext builder)
    {
        if (Console.ConsoleRoute.Is(builder.Route))
        {
            return; // not a service of the API: no context is minted for it (ConsoleHeadersTransform strips what it must not see)
        }
        var destination = ProxyRoutes.ServiceOf(builder.Route.ClusterId
            ?? throw new InvalidOperationException($"Route '{builder.Route.RouteId}' has no cluster."));
        var onward = ServiceNames.OnwardOf(destination);
        builder.AddRequestTransform(transform =>
        {
            RemoveClientContextHeaders(transform.ProxyRequest.Headers);
            transform.ProxyRequest.Headers.Authorization = null;
            if (transform.ProxyRequest.Content is not null)
            {
                RemoveClientContextHeaders(transform.ProxyRequest.Content.Headers);
            }
            var context = transform.HttpContext.Features.Get<TenantContext>()
                ?? throw new InvalidOperationException("A call reached the proxy without an authenticated caller.");
            var keys = transform.HttpContext.RequestServices.GetRequiredService<GatewaySigningKeys>();
            transform.ProxyRequest.Headers.TryAddWithoutValidation(TenantContextHeaders.Context, keys.Mint(context, destination));
            foreach (var service in onward)
            {
                transform.ProxyRequest.Headers.TryAddWithoutValidation(TenantContextHeaders.OnwardFor(service), keys.Mint(context with { Via = destination }, service));
            }
            // The lane is the tenant's own choice between its calls, so a header the client sent wins over the key's default.
            if (transform.HttpContext.Features.Get<ResolvedKey>() is { } key && !transform.ProxyRequest.Headers.Contains(Lanes.Header))
            {
                transform.ProxyRequest.Headers.TryAddWithoutValidation(Lanes.Header, key.DefaultLane);
            }
            return ValueTask.CompletedTask;
        });
    }

    private static void RemoveClientContextHeaders(System.Net.Http.Headers.HttpHeaders headers) =>
        HeaderStripping.Remove(headers, IsClientContextHeader);

    private const string PlatformPrefix = "x-agentcloud-";

    // Platform headers are the platform's to set; the lane is the one a tenant picks itself.
    public static bool IsClientContextHeader(string name) =>
        (name.StartsWith(PlatformPrefix, StringComparison.OrdinalIgnoreCase) && !name.Equals(Lanes.Header, StringComparison.OrdinalIgnoreCase))
        || name.StartsWith(TenantContextHeaders.TenantHeaderPrefix, StringComparison.OrdinalIgnoreCase);
}
