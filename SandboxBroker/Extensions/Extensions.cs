namespace AgentCloud.SandboxBroker.Extensions;

internal static class Extensions
{
    /// <summary>Registers what this service depends on; each client adds a health check, so /health is ready only when they answer.</summary>
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");
    }
}
