namespace AgentCloud.AppHost;

/// <summary>The tool gateway (<c>/v1/mcp</c>, <c>/v1/tools/*</c>) and the sample tool server for local runs and tests.</summary>
public static class ToolsResources
{
    /// <summary>
    /// The Tools service. It and the ControlPlane share the secret <c>tool-injection-key</c>: with it, and only in a
    /// tenant's own context, the ControlPlane reveals that tenant's credentials for a tool call.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddToolsService(this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> controlPlane)
    {
        var injectionKey = builder.AddParameter("tool-injection-key", new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true);
        controlPlane.WithEnvironment("ControlPlane__ToolInjectionKey", injectionKey);
        return builder.AddAgentCloudService<Projects.AgentCloud_Tools>("tools")
            .WithEnvironment("Tools__InjectionKey", injectionKey)
            // Local runs only: the sample tool server listens on loopback, which production SSRF rules refuse.
            .WithEnvironment("Tools__AllowPrivateAddresses", builder.ExecutionContext.IsRunMode ? "true" : "false");
    }

    public const string SampleToolsPortSetting = "AgentCloud:SampleToolsPort";
    public const int DefaultSampleToolsPort = 8091;

    /// <summary>
    /// An MCP server (<c>http://127.0.0.1:8091/mcp</c> unless <c>AgentCloud:SampleToolsPort</c> says otherwise) with
    /// <c>create</c> and <c>list</c> ticket tools that demands a bearer token; tenants register it themselves, like
    /// any server of their own, so the Tools service holds no reference to it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddSampleToolServer(this IDistributedApplicationBuilder builder) =>
        builder.AddProject<Projects.AgentCloud_SampleToolServer>("sample-tools", launchProfileName: null)
            .WithHttpEndpoint(port: builder.Configuration.GetValue(SampleToolsPortSetting, DefaultSampleToolsPort), name: "http", isProxied: false)
            .WithHttpHealthCheck("/health");
}
