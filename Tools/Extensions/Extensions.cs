using AgentCloud.Platform.Outbox;
using AgentCloud.Tools.BuiltIns;
using AgentCloud.Tools.Catalog;
using AgentCloud.Tools.Egress;
using AgentCloud.Tools.Mcp;
using AgentCloud.Tools.Platform;
using AgentCloud.Tools.Servers;

namespace AgentCloud.Tools.Extensions;

internal static class Extensions
{
    public const string RedisConnectionName = "redis";

    /// <summary>
    /// Wires the built-in tools, the server registry (Redis), the vault and platform clients (service discovery),
    /// the guarded egress clients, and audit and metering.
    /// </summary>
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ToolsOptions>()
            .BindConfiguration(ToolsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.AddRedisClient(RedisConnectionName);
        builder.AddTenantPolicyClient();

        builder.Services.AddHttpClient(PlatformServices.MemoryClient, c => c.BaseAddress = new Uri("http://memory"));
        builder.Services.AddHttpClient(PlatformServices.SandboxClient, c => c.BaseAddress = new Uri("http://sandbox-broker"));
        builder.Services.AddSingleton<GuardedConnector>();
        // Outbound tool traffic: none of the default handlers (retries may repeat a tool call; service discovery would
        // turn a host like "controlplane" into a platform service), and the SSRF guard on every connection.
        foreach (var name in new[] { HttpFetchTool.HttpClientName, RemoteTools.HttpClientName })
        {
            builder.Services.AddHttpClient(name)
                .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<GuardedConnector>().CreateHandler())
                .ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Clear());
        }

        builder.Services.AddSingleton<VaultCredentials>();
        builder.Services.AddSingleton<PlatformServices>();
        builder.Services.AddStreamOutbox();
        builder.Services.AddSingleton<ToolAudit>();
        builder.Services.AddSingleton<ToolUsage>();
        builder.Services.AddSingleton<ToolServerRegistry>();
        builder.Services.AddSingleton<RemoteTools>();
        builder.Services.AddSingleton<IBuiltInTool, MemorySearchTool>();
        builder.Services.AddSingleton<IBuiltInTool, MemoryPutTool>();
        builder.Services.AddSingleton<IBuiltInTool, HttpFetchTool>();
        builder.Services.AddSingleton<IBuiltInTool, SandboxExecTool>();
        builder.Services.AddSingleton<ToolCatalog>();
        builder.Services.AddSingleton<ToolExecutor>();
        builder.Services.AddScoped<CallerTools>();
        builder.Services.AddHostedService<TenantListener>();
    }
}
