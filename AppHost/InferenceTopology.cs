namespace AgentCloud.AppHost;

/// <summary>One model endpoint the router's catalogue lists: the resource, and who may be placed on it.</summary>
public sealed record ModelEndpoint(IResourceBuilder<ProjectResource> Resource, string Placement, string? Tier = null);

/// <summary>
/// The model endpoints for local runs and tests, and the router's catalogue of them. Simulators stand in for any
/// OpenAI-compatible upstream (vLLM, Ollama, OpenAI): the router knows each only by base URL and key.
/// </summary>
public static class InferenceTopology
{
    public const string CacheSaltKeyParameter = "inference-cache-salt-key";
    public static readonly string[] SimulatedModels = ["sim-small", "sim-large"];

    /// <summary>A shared pool of two simulators, and one dedicated to the enterprise tier (each enterprise tenant is pinned to one of the tier's endpoints).</summary>
    public static IReadOnlyList<ModelEndpoint> AddModelSimulators(this IDistributedApplicationBuilder builder, PlatformSecrets secrets) =>
    [
        new(Simulator(builder, "model-simulator", "shared-0", secrets), "shared"),
        new(Simulator(builder, "model-simulator-2", "shared-1", secrets), "shared"),
        new(Simulator(builder, "model-simulator-dedicated", "dedicated-enterprise-0", secrets), "dedicated", Tier: "enterprise"),
    ];

    /// <summary>Gives the router its endpoint catalogue (environment variables), the upstream key and the cache-salt secret.</summary>
    public static IResourceBuilder<ProjectResource> WithModelEndpoints(
        this IResourceBuilder<ProjectResource> router, IReadOnlyList<ModelEndpoint> endpoints, PlatformSecrets secrets)
    {
        var saltKey = router.ApplicationBuilder.AddParameter(CacheSaltKeyParameter,
            new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true);
        router.WithEnvironment("InferenceRouter__UpstreamApiKey", secrets.ModelApiKey)
            .WithEnvironment("InferenceRouter__CacheSaltSecret", saltKey);
        for (var i = 0; i < endpoints.Count; i++)
        {
            var (resource, placement, tier) = (endpoints[i].Resource, endpoints[i].Placement, endpoints[i].Tier);
            var prefix = $"InferenceRouter__Endpoints__{i}__";
            router.WithReference(resource).WaitFor(resource)
                .WithEnvironment(prefix + "Name", resource.Resource.Name)
                .WithEnvironment(prefix + "BaseUrl", $"http://{resource.Resource.Name}/v1")
                .WithEnvironment(prefix + "Placement", placement);
            if (tier is not null)
            {
                router.WithEnvironment(prefix + "Tier", tier);
            }
            for (var m = 0; m < SimulatedModels.Length; m++)
            {
                router.WithEnvironment($"{prefix}Models__{m}", SimulatedModels[m]);
            }
        }
        return router;
    }

    private static IResourceBuilder<ProjectResource> Simulator(IDistributedApplicationBuilder builder, string name, string instance, PlatformSecrets secrets) =>
        builder.AddAgentCloudService<Projects.AgentCloud_ModelSimulator>(name)
            .WithEnvironment("ModelSimulator__ApiKey", secrets.ModelApiKey)
            .WithEnvironment("ModelSimulator__InstanceName", instance);
}
