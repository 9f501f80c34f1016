using System.Diagnostics;
using System.Net;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Extensions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// Sends a call on to the broker that owns its sandbox, as it came (the Gateway-signed tenant context included, which
/// the owner checks as it would the Gateway's), streaming both ways without buffering: bodies, server-sent events and
/// WebSocket upgrades alike. The hop header marks it forwarded, so the owner never forwards it again.
/// </summary>
public sealed class FleetForwarder : IDisposable
{
    /// <summary>Set on a forwarded call to the host id that forwarded it.</summary>
    public const string HopHeader = "x-agentcloud-fleet-hop";

    private readonly IHttpForwarder _forwarder;
    private readonly HttpMessageInvoker _invoker;
    private readonly HopTransformer _transformer;

    public FleetForwarder(IHttpForwarder forwarder, HostInstance instance, IOptions<FleetOptions> options)
    {
        _forwarder = forwarder;
        Handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.Value.ForwardConnectTimeout,
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        };
        _invoker = new HttpMessageInvoker(Handler, disposeHandler: false);
        _transformer = new HopTransformer(instance.HostId);
    }

    /// <summary>The connection pool siblings are reached through (also for the fleet-wide listing).</summary>
    public SocketsHttpHandler Handler { get; }

    public static bool WasForwarded(HttpRequest request) => request.Headers.ContainsKey(HopHeader);

    /// <summary>Forwards the call; <see cref="ForwarderError.None"/> when the owner's answer (or stream) went through.</summary>
    public ValueTask<ForwarderError> ForwardAsync(HttpContext http, string ownerAddress) =>
        _forwarder.SendAsync(http, ownerAddress, _invoker, new ForwarderRequestConfig
        {
            // Streams (a followed log, a long exec, a WebSocket) may be quiet for long; the caller's disconnect ends them.
            ActivityTimeout = TimeSpan.FromHours(24),
        }, _transformer);

    public void Dispose()
    {
        _invoker.Dispose();
        Handler.Dispose();
    }

    private sealed class HopTransformer(string hostId) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Remove(HopHeader);
            proxyRequest.Headers.TryAddWithoutValidation(HopHeader, hostId);
        }
    }

    /// <summary>The headers a sibling needs to answer as this broker would: the caller's signed tenant contexts.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ContextHeaders(HttpRequest request) =>
        request.Headers.Where(h => h.Key.StartsWith(TenantContextHeaders.Context, StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.OfType<string>().Select(v => KeyValuePair.Create(h.Key, v)));
}
