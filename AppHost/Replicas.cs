using Aspire.Hosting.Publishing;

namespace AgentCloud.AppHost;

/// <summary>
/// How many copies of a stateless service run, in a local run and in a deployment alike: <c>AgentCloud:Replicas</c>
/// (default 2), or <c>AgentCloud:Replicas:&lt;resource-name&gt;</c> for one service. Two copies by default so that every
/// run, and every end-to-end test, exercises what a scaled-out platform must get right (shared caches, revocation, spools).
/// </summary>
public static class Replicas
{
    public const string SettingName = "AgentCloud:Replicas";
    public const int DefaultCount = 2;

    /// <summary>The configured count for one resource; a count below 1 is a configuration error, said at start.</summary>
    public static int For(IConfiguration configuration, string resourceName)
    {
        var key = $"{SettingName}:{resourceName}";
        var value = configuration[key] ?? configuration[SettingName];
        if (value is null)
        {
            return DefaultCount;
        }
        if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) || count < 1)
        {
            throw new InvalidOperationException($"{(configuration[key] is null ? SettingName : key)} is '{value}': give a whole number of replicas, 1 or more.");
        }
        return count;
    }

    /// <summary>
    /// Runs the configured number of copies. With more than one in a local run, the HTTP endpoint goes through DCP's
    /// proxy, which spreads connections over the copies and is the address every reference gets (each copy listens on a
    /// port of its own); a copy that dies is taken out of the rotation while the other serves.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPlatformReplicas(this IResourceBuilder<ProjectResource> service, IConfiguration configuration)
    {
        var count = For(configuration, service.Resource.Name);
        if (count == 1)
        {
            return service;
        }
        if (!service.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            // Deployed, the platform's ingress spreads calls over the copies; the endpoints stay as they are.
            return service
                .WithManifestPublishingCallback(context => WriteProjectWithReplicasAsync(context, service.Resource, count))
                .WithReplicas(count);
        }
        return service
            .WithEndpoint("http", endpoint =>
            {
                endpoint.IsProxied = true;
                endpoint.TargetPort = null;
            }, createIfNotExists: false)
            // Local runs and tests see which copy answered; a deployment does not tell its clients.
            .WithEnvironment("AgentCloud__ServedByHeader", "true")
            .WithReplicas(count);
    }

    /// <summary>
    /// The manifest's own project entry (type, path, args, env, bindings, as Aspire writes it), plus the replica count,
    /// which Aspire's project.v0 entry leaves out: a deployment tool reads how many copies to run from it.
    /// </summary>
    private static async Task WriteProjectWithReplicasAsync(ManifestPublishingContext context, ProjectResource project, int count)
    {
        context.Writer.WriteString("type", "project.v0");
        context.Writer.WriteString("path", context.GetManifestRelativePath(project.GetProjectMetadata().ProjectPath));
        await context.WriteCommandLineArgumentsAsync(project);
        await context.WriteEnvironmentVariablesAsync(project);
        context.WriteBindings(project);
        context.Writer.WriteNumber("replicas", count);
    }
}
