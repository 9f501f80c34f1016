using System.Globalization;
using AgentCloud.AppHost.Models;

namespace AgentCloud.AppHost;

/// <summary>One endpoint of the model topology, with the simulator resource the AppHost started for it (none for external URLs).</summary>
public sealed record ModelEndpoint(EndpointDefinition Definition, IResourceBuilder<ProjectResource>? Simulator);

/// <summary>The configured models and the endpoints serving them, as the AppHost wires them into the services.</summary>
public sealed record ModelPlan(ModelsConfiguration Config, IReadOnlyList<ModelEndpoint> Endpoints);

/// <summary>
/// The model endpoints from <c>AgentCloud:Models</c> (by default: a shared pool of two simulators and one dedicated to the
/// enterprise tier), and what each service learns of them: the router its endpoints, the ControlPlane its catalogue and
/// tiers, the UsageAggregator its prices. Simulator endpoints are started here; others are external URLs with keys from
/// secret parameters.
/// </summary>
public static class InferenceTopology
{
    public const string CacheSaltKeyParameter = "inference-cache-salt-key";

    public static ModelPlan AddModelEndpoints(this IDistributedApplicationBuilder builder, PlatformSecrets secrets)
    {
        var config = ModelTopology.Read(builder.Configuration);
        var endpoints = config.Endpoints
            .Select(e => new ModelEndpoint(e, e.Kind == EndpointKindNames.Simulator ? Simulator(builder, e, secrets) : null))
            .ToList();
        return new ModelPlan(config, endpoints);
    }

    /// <summary>Gives the router its endpoint catalogue (environment variables), the keys as secret parameters, and the cache-salt secret.</summary>
    public static IResourceBuilder<ProjectResource> WithModelEndpoints(this IResourceBuilder<ProjectResource> router, ModelPlan plan, PlatformSecrets secrets)
    {
        var builder = router.ApplicationBuilder;
        var saltKey = builder.AddParameter(CacheSaltKeyParameter, new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true);
        router.WithEnvironment("InferenceRouter__UpstreamApiKey", secrets.ModelApiKey)
            .WithEnvironment("InferenceRouter__CacheSaltSecret", saltKey);
        var keys = new Dictionary<string, IResourceBuilder<ParameterResource>>(StringComparer.Ordinal);
        for (var i = 0; i < plan.Endpoints.Count; i++)
        {
            var (e, simulator) = (plan.Endpoints[i].Definition, plan.Endpoints[i].Simulator);
            var prefix = $"InferenceRouter__Endpoints__{i}__";
            router.WithEnvironment(prefix + "Name", e.Name)
                .WithEnvironment(prefix + "Kind", EndpointKindNames.ToRouter[e.Kind])
                .WithEnvironment(prefix + "Placement", e.Placement);
            if (simulator is not null)
            {
                router.WithReference(simulator).WaitFor(simulator).WithEnvironment(prefix + "BaseUrl", $"http://{simulator.Resource.Name}/v1");
            }
            else
            {
                router.WithEnvironment(prefix + "BaseUrl", e.BaseUrl!);
            }
            if (!string.IsNullOrEmpty(e.KeyParameter))
            {
                if (!keys.TryGetValue(e.KeyParameter, out var key))
                {
                    keys[e.KeyParameter] = key = builder.AddParameter(e.KeyParameter, secret: true);
                }
                router.WithEnvironment(prefix + "ApiKey", key);
            }
            Optional(router, prefix + "Tier", e.Tier);
            Optional(router, prefix + "TenantId", e.TenantId);
            Optional(router, prefix + "ApiVersion", e.ApiVersion);
            Optional(router, prefix + "CacheSalt", e.Capabilities.CacheSalt?.ToString());
            Optional(router, prefix + "Tools", e.Capabilities.Tools?.ToString());
            Optional(router, prefix + "Embeddings", e.Capabilities.Embeddings?.ToString());
            if (e.TokensPerMinute > 0)
            {
                router.WithEnvironment(prefix + "TokensPerMinute", e.TokensPerMinute.ToString(CultureInfo.InvariantCulture));
            }
            var aliases = 0;
            for (var m = 0; m < e.Models.Count; m++)
            {
                router.WithEnvironment($"{prefix}Models__{m}", e.Models[m].Id);
                if (e.Models[m].Upstream is { } upstream && upstream != e.Models[m].Id)
                {
                    router.WithEnvironment($"{prefix}Aliases__{aliases}__Model", e.Models[m].Id)
                        .WithEnvironment($"{prefix}Aliases__{aliases++}__Upstream", upstream);
                }
            }
        }
        return router;
    }

    /// <summary>The ControlPlane's model catalogue (ids, context lengths) and the tiers' models and output budgets.</summary>
    public static IResourceBuilder<ProjectResource> WithModelCatalogue(this IResourceBuilder<ProjectResource> controlPlane, ModelPlan plan)
    {
        for (var i = 0; i < plan.Config.Catalogue.Count; i++)
        {
            var m = plan.Config.Catalogue[i];
            controlPlane.WithEnvironment($"ControlPlane__Catalogue__Models__{i}__Id", m.Id)
                .WithEnvironment($"ControlPlane__Catalogue__Models__{i}__MaxContextTokens", m.ContextLength.ToString(CultureInfo.InvariantCulture));
        }
        foreach (var (tier, t) in plan.Config.Tiers)
        {
            for (var j = 0; j < t.Models.Count; j++)
            {
                controlPlane.WithEnvironment($"ControlPlane__Catalogue__Tiers__{tier}__Models__{j}", t.Models[j]);
            }
            Optional(controlPlane, $"ControlPlane__Catalogue__Tiers__{tier}__DefaultMaxOutputTokens", t.DefaultMaxOutputTokens?.ToString(CultureInfo.InvariantCulture));
        }
        return controlPlane;
    }

    /// <summary>
    /// The model prices, per million tokens, under <paramref name="section"/>: the UsageAggregator bills with them and the
    /// router prices dollar budgets with the same list.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithModelPrices(this IResourceBuilder<ProjectResource> usage, ModelPlan plan, string section = "UsageAggregator__Prices")
    {
        for (var i = 0; i < plan.Config.Catalogue.Count; i++)
        {
            var (m, prefix) = (plan.Config.Catalogue[i], $"{section}__Models__{i}__");
            usage.WithEnvironment(prefix + "Model", m.Id)
                .WithEnvironment(prefix + "InputPerMillion", m.Prices.Input.ToString(CultureInfo.InvariantCulture))
                .WithEnvironment(prefix + "CachedInputPerMillion", m.Prices.CachedInput.ToString(CultureInfo.InvariantCulture))
                .WithEnvironment(prefix + "OutputPerMillion", m.Prices.Output.ToString(CultureInfo.InvariantCulture));
            Optional(usage, prefix + "EffectiveFrom", m.Prices.EffectiveFrom?.ToString("o", CultureInfo.InvariantCulture));
        }
        return usage;
    }

    /// <summary>The model Memory embeds with, when configured.</summary>
    public static IResourceBuilder<ProjectResource> WithEmbeddingModel(this IResourceBuilder<ProjectResource> memory, ModelPlan plan)
    {
        Optional(memory, "Memory__EmbeddingModel", plan.Config.EmbeddingModel);
        return memory;
    }

    private static void Optional(IResourceBuilder<ProjectResource> resource, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            resource.WithEnvironment(name, value);
        }
    }

    /// <summary>A simulator serving the endpoint's upstream model names, under the platform's upstream key.</summary>
    private static IResourceBuilder<ProjectResource> Simulator(IDistributedApplicationBuilder builder, EndpointDefinition e, PlatformSecrets secrets)
    {
        var simulator = builder.AddAgentCloudService<Projects.AgentCloud_ModelSimulator>(e.Name)
            .WithEnvironment("ModelSimulator__ApiKey", secrets.ModelApiKey)
            .WithEnvironment("ModelSimulator__InstanceName", e.SimulatorInstance ?? e.Name);
        for (var m = 0; m < e.Models.Count; m++)
        {
            simulator.WithEnvironment($"ModelSimulator__Models__{m}", e.Models[m].Upstream ?? e.Models[m].Id);
        }
        return simulator;
    }
}
