using System.Diagnostics;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.Features;

namespace AgentCloud.Gateway.Telemetry;

/// <summary>
/// Puts the authenticated caller's tenant on the Gateway's root span and on its request metrics
/// (<c>http.server.request.duration</c>) under <see cref="TenantTag"/>, the key every service's spans and request metrics
/// use, so one tenant's calls can be followed across the platform in the dashboard.
/// </summary>
public sealed class TenantTelemetryMiddleware(RequestDelegate next)
{
    public const string TenantTag = "tenant.id";

    public Task InvokeAsync(HttpContext http)
    {
        if (http.Features.Get<TenantContext>() is { } caller)
        {
            Activity.Current?.SetTag(TenantTag, caller.TenantId);
            http.Features.Get<IHttpMetricsTagsFeature>()?.Tags.Add(new(TenantTag, caller.TenantId));
        }
        return next(http);
    }
}
