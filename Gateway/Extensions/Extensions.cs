using AgentCloud.Gateway.Auth;
using AgentCloud.Gateway.Console;
using AgentCloud.Gateway.Docs;
using AgentCloud.Gateway.Limits;
using AgentCloud.Gateway.Proxy;
using AgentCloud.Gateway.RateLimiting;
using AgentCloud.Gateway.Signing;
using AgentCloud.Gateway.Telemetry;
using AgentCloud.Platform.Startup;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace AgentCloud.Gateway.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // A trace span per Redis command costs more than the command on this hot path; set the Aspire setting to false to have them.
        // Redis answers are completed on the .NET thread pool rather than the client's own ten threads: one thread hop fewer per round trip.
        builder.AddRedisClient("redis", s => s.DisableTracing = builder.Configuration.GetValue("Aspire:StackExchange:Redis:DisableTracing", true),
            o => o.SocketManager = StackExchange.Redis.SocketManager.ThreadPool);
        builder.Services.AddRedisConnectedBeforeListening(); // a restarted copy joins the rotation connected
        builder.Services.AddSingleton<GatewaySigningKeys>();
        builder.Services.AddSingleton<AdminKeyVerifier>();
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<IHealthDetailsGate, AdminKeyHealthDetailsGate>();

        builder.AddTenantKeys();
        builder.Services.AddSingleton<RedisTokenBucket>();
        var limits = builder.AddRequestLimits();

        builder.AddPublicApiDocs();
        builder.AddConsoleRoute();

        builder.Services.AddReverseProxy()
            .LoadFromMemory([.. ProxyRoutes.Routes, ConsoleRoute.Route],
                [.. ProxyRoutes.Clusters(limits.UpstreamIdleTimeout, limits.SandboxExecIdleTimeout), ConsoleRoute.Cluster(limits.UpstreamIdleTimeout)])
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms(TenantContextTransform.Apply)
            .AddTransforms(ConsoleHeadersTransform.Apply)
            .AddTransforms(LocalRevocationTransform.Apply);
    }

    /// <summary>Tenant keys: resolved by the ControlPlane, cached briefly, dropped on revocation; refusals audited.</summary>
    private static void AddTenantKeys(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(ControlPlaneKeyResolver.HttpClientName, c => c.BaseAddress = new Uri("http://controlplane"));
        builder.Services.AddSingleton<ControlPlaneKeyResolver>();
        builder.Services.AddSingleton(sp => new CachedKeyResolver(
            sp.GetRequiredService<ControlPlaneKeyResolver>(), sp.GetRequiredService<IOptions<GatewayOptions>>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ITenantKeyResolver>(sp => sp.GetRequiredService<CachedKeyResolver>());
        builder.Services.AddHostedService<KeyRevocationListener>();
        builder.Services.AddSingleton<FailedAuthAudit>();
        builder.Services.AddSingleton<FailedCallLimiter>();
        builder.Services.AddSingleton<RefusedKeyTally>();
        builder.Services.AddSingleton<RefusedKeyAuditPublisher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RefusedKeyAuditPublisher>());
    }

    /// <summary>The merged public OpenAPI document, from each routed service's own and the Gateway's.</summary>
    private static void AddPublicApiDocs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiDocsOptions>()
            .BindConfiguration(ApiDocsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOpenApi(GatewayOwnDocument.DocumentName, GatewayOwnDocument.Configure);
        builder.Services.AddHttpClient(ServiceDocumentFetcher.HttpClientName);
        builder.Services.AddSingleton<ServiceDocumentFetcher>();
        builder.Services.AddSingleton<GatewayOwnDocument>();
        builder.Services.AddSingleton<PublicDocumentCache>();
        builder.Services.AddDocsRateLimit();
    }

    /// <summary>The console at /console: anonymous here, limited per client address.</summary>
    private static void AddConsoleRoute(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleRouteOptions>()
            .BindConfiguration(ConsoleRouteOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddConsoleRateLimit();
    }

    /// <summary>Body, header and time limits on what clients send, all answered with problem+json.</summary>
    private static RequestLimitsOptions AddRequestLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RequestLimitsOptions>()
            .BindConfiguration(RequestLimitsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<RequestLimitsOptions>>((kestrel, options) =>
        {
            var limits = options.Value;
            kestrel.AddServerHeader = false;
            // The largest route limit; RequestLimitsMiddleware lowers it per request.
            kestrel.Limits.MaxRequestBodySize = Math.Max(limits.MaxBodyBytes, limits.MaxFileUploadBytes);
            kestrel.Limits.MaxRequestHeaderCount = limits.MaxRequestHeaderCount;
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersTotalSize;
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
        });
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = GatewayProblemDetails.Customize);
        return builder.Configuration.GetSection(RequestLimitsOptions.SectionName).Get<RequestLimitsOptions>() ?? new RequestLimitsOptions();
    }
}
