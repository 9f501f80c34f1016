using AgentCloud.AppHost.Infrastructure;

namespace AgentCloud.AppHost;

/// <summary>The platform's secret parameters: generated on first run and kept in the AppHost's user secrets.</summary>
public sealed record PlatformSecrets(
    IResourceBuilder<ParameterResource> AdminKey,
    IResourceBuilder<ParameterResource> GatewaySigningKey,
    IResourceBuilder<ParameterResource> ModelApiKey,
    IResourceBuilder<ParameterResource> VaultMasterKey);

public static class Extensions
{
    public const string GatewayPortSetting = "AgentCloud:GatewayPort";
    public const int DefaultGatewayPort = 8080;

    public static PlatformSecrets AddPlatformSecrets(this IDistributedApplicationBuilder builder) => new(
        Secret(builder, "admin-key"),
        Secret(builder, "gateway-signing-key"),
        Secret(builder, "model-api-key"),
        Secret(builder, "vault-master-key"));

    /// <summary>Redis, Postgres (controlplane and usage databases) and the vector store, as containers or local executables.</summary>
    public static PlatformStores AddPlatformStores(this IDistributedApplicationBuilder builder) =>
        InfrastructureModeResolver.Resolve(builder.Configuration, builder.ExecutionContext) switch
        {
            InfrastructureMode.Containers => ContainerInfrastructure.Add(builder),
            _ => LocalInfrastructure.Add(builder),
        };

    /// <summary>
    /// A platform service: an HTTP endpoint, and ready only when its own /health (dependencies included) passes. In a
    /// local run the endpoint is the process's own port, not a proxy's, so a crashed single copy is refused at once (and
    /// the caller answered 503). A replicated service is proxied (<see cref="Replicas"/>): with every copy down, DCP's
    /// proxy holds connections and a caller waits for its own timeout (the Gateway's idle timeout, then 504).
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddAgentCloudService<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name, launchProfileName: null)
            .WithHttpEndpoint(port: builder.ExecutionContext.IsRunMode ? FreePort.Pick(ConfiguredPorts(builder)) : null, name: "http", isProxied: !builder.ExecutionContext.IsRunMode)
            .WithHttpHealthCheck("/health");

    // Fixed ports named in configuration, bound only when their resources start: never picked for another.
    private static int[] ConfiguredPorts(IDistributedApplicationBuilder builder) =>
    [
        builder.Configuration.GetValue(GatewayPortSetting, DefaultGatewayPort),
        builder.Configuration.GetValue(ToolsResources.SampleToolsPortSetting, ToolsResources.DefaultSampleToolsPort),
    ];

    /// <summary>The one public door, on a fixed port (docs/api.md: 127.0.0.1:8080 unless AgentCloud:GatewayPort says otherwise).</summary>
    public static IResourceBuilder<ProjectResource> AddGateway(this IDistributedApplicationBuilder builder, PlatformSecrets secrets)
    {
        var port = builder.Configuration.GetValue(GatewayPortSetting, DefaultGatewayPort);
        return builder.AddProject<Projects.AgentCloud_Gateway>("gateway", launchProfileName: null)
            .WithHttpEndpoint(port: port, name: "http", isProxied: false)
            .WithExternalHttpEndpoints()
            .WithHttpHealthCheck("/health")
            .WithUrls(GatewayUrls.Describe)
            .WithEnvironment("Gateway__AdminKey", secrets.AdminKey)
            .WithEnvironment("Gateway__SigningKeySeed", secrets.GatewaySigningKey);
    }

    /// <summary>Services fetch the Gateway's JWKS through service discovery to verify tenant contexts.</summary>
    public static IResourceBuilder<ProjectResource> TrustingGateway(this IResourceBuilder<ProjectResource> service, IResourceBuilder<ProjectResource> gateway) =>
        service.WithReference(gateway);

    private static IResourceBuilder<ParameterResource> Secret(IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true);
}
