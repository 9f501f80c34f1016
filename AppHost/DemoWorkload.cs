namespace AgentCloud.AppHost;

/// <summary>
/// The demo workload (<c>agentcloud demo</c>: three tenants' agents side by side) as a resource the dashboard starts on
/// demand (its Start command), against this run's Gateway and sample tool server. The operator key reaches it in its
/// environment, never its command line. Local runs only: it is not part of a deployment's manifest.
/// </summary>
public static class DemoWorkload
{
    public const string ResourceName = "demo";

    public static IResourceBuilder<ProjectResource> AddDemoWorkload(this IDistributedApplicationBuilder builder,
        IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ProjectResource> sampleTools, PlatformSecrets secrets) =>
        builder.AddProject<Projects.AgentCloud_Cli>(ResourceName, launchProfileName: null)
            .WithArgs(context =>
            {
                context.Args.Add("demo");
                context.Args.Add("--tool-server");
                context.Args.Add(ReferenceExpression.Create($"{sampleTools.GetEndpoint("http")}/mcp"));
            })
            .WithEnvironment("AGENTCLOUD_URL", gateway.GetEndpoint("http"))
            .WithEnvironment("AGENTCLOUD_KEY", secrets.AdminKey)
            .WaitFor(gateway)
            .WithExplicitStart()
            .ExcludeFromManifest();
}
