using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCloud.Platform.ControlPlane;

public static class ControlPlaneClientServiceCollectionExtensions
{
    /// <summary>Adds the <see cref="ControlPlaneClient"/> (the ControlPlane found through service discovery).</summary>
    public static IServiceCollection AddControlPlaneClient(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddHttpClient(ControlPlaneClient.HttpClientName, c => c.BaseAddress = ControlPlaneClient.BaseAddress);
        services.TryAddSingleton<ControlPlaneClient>();
        return services;
    }
}
