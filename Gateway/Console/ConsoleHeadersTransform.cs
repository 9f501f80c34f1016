using AgentCloud.Platform.Tenancy;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AgentCloud.Gateway.Console;

/// <summary>
/// What the console is never sent: the caller's <c>Authorization</c> (a key pasted into a header would otherwise reach a
/// web app that has no use for it) and every <c>x-agentcloud-*</c> or <c>x-tenant-*</c> header, so nothing a browser sends
/// can pass for a context the Gateway signed. No tenant context is minted for it: it is not a service of the API. The
/// caller's Host is kept, so the console's redirects lead back through the Gateway.
/// </summary>
public static class ConsoleHeadersTransform
{
    private const string PlatformPrefix = "x-agentcloud-";

    public static void Apply(TransformBuilderContext builder)
    {
        if (!ConsoleRoute.Is(builder.Route))
        {
            return;
        }
        // The console builds its redirects and links from the Host it is asked for: the Gateway's, not its own port.
        builder.AddOriginalHost(true);
        builder.AddRequestTransform(transform =>
        {
            transform.ProxyRequest.Headers.Authorization = null;
            Strip(transform.ProxyRequest.Headers);
            if (transform.ProxyRequest.Content is not null)
            {
                Strip(transform.ProxyRequest.Content.Headers);
            }
            return ValueTask.CompletedTask;
        });
    }

    public static bool IsStripped(string name) =>
        name.StartsWith(PlatformPrefix, StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(TenantContextHeaders.TenantHeaderPrefix, StringComparison.OrdinalIgnoreCase);

    private static void Strip(System.Net.Http.Headers.HttpHeaders headers) => Proxy.HeaderStripping.Remove(headers, IsStripped);
}
