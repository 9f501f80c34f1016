using AgentCloud.Gateway.Auth;
using AgentCloud.Gateway.Proxy;
using AgentCloud.Gateway.Signing;

namespace AgentCloud.Gateway.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddRedisClient("redis");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<GatewaySigningKeys>();
        builder.Services.AddSingleton<AdminKeyVerifier>();

        builder.Services.AddReverseProxy()
            .LoadFromMemory(ProxyRoutes.Routes, ProxyRoutes.Clusters)
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms(TenantContextTransform.Apply);
    }
}
