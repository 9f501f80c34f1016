using AgentCloud.AppHost.Models;
using Microsoft.Extensions.Configuration;

namespace AgentCloud.AppHost.Tests;

/// <summary><c>AgentCloud:Models</c>: read, refused with clear messages when wrong, and handed to the router, ControlPlane and UsageAggregator.</summary>
public sealed class ModelsConfigurationTests
{
    /// <summary>An OpenAI endpoint, an Azure OpenAI deployment and a vLLM pool, as a platform team would configure them.</summary>
    private static readonly Dictionary<string, string?> Providers = new()
    {
        ["AgentCloud:Models:Catalogue:0:Id"] = "gpt-4o-mini",
        ["AgentCloud:Models:Catalogue:0:ContextLength"] = "128000",
        ["AgentCloud:Models:Catalogue:0:Prices:Input"] = "0.15",
        ["AgentCloud:Models:Catalogue:0:Prices:CachedInput"] = "0.075",
        ["AgentCloud:Models:Catalogue:0:Prices:Output"] = "0.60",
        ["AgentCloud:Models:Catalogue:1:Id"] = "llama-3.1-8b",
        ["AgentCloud:Models:Catalogue:1:ContextLength"] = "32768",
        ["AgentCloud:Models:Catalogue:1:Prices:Input"] = "0.05",
        ["AgentCloud:Models:Catalogue:1:Prices:Output"] = "0.10",
        ["AgentCloud:Models:Endpoints:0:Name"] = "openai",
        ["AgentCloud:Models:Endpoints:0:Kind"] = "openai",
        ["AgentCloud:Models:Endpoints:0:BaseUrl"] = "https://api.openai.com/v1",
        ["AgentCloud:Models:Endpoints:0:KeyParameter"] = "openai-api-key",
        ["AgentCloud:Models:Endpoints:0:Models:0:Id"] = "gpt-4o-mini",
        ["AgentCloud:Models:Endpoints:1:Name"] = "azure-east",
        ["AgentCloud:Models:Endpoints:1:Kind"] = "azure-openai",
        ["AgentCloud:Models:Endpoints:1:BaseUrl"] = "https://contoso-east.openai.azure.com/openai/v1",
        ["AgentCloud:Models:Endpoints:1:KeyParameter"] = "azure-east-key",
        ["AgentCloud:Models:Endpoints:1:ApiVersion"] = "preview",
        ["AgentCloud:Models:Endpoints:1:Models:0:Id"] = "gpt-4o-mini",
        ["AgentCloud:Models:Endpoints:1:Models:0:Upstream"] = "prod-4o-mini",
        ["AgentCloud:Models:Endpoints:2:Name"] = "vllm-0",
        ["AgentCloud:Models:Endpoints:2:Kind"] = "vllm",
        ["AgentCloud:Models:Endpoints:2:BaseUrl"] = "http://10.0.0.5:8000/v1",
        ["AgentCloud:Models:Endpoints:2:Models:0:Id"] = "llama-3.1-8b",
        ["AgentCloud:Models:Endpoints:2:Models:0:Upstream"] = "meta-llama/Llama-3.1-8B-Instruct",
        ["AgentCloud:Models:Endpoints:3:Name"] = "vllm-enterprise",
        ["AgentCloud:Models:Endpoints:3:Kind"] = "vllm",
        ["AgentCloud:Models:Endpoints:3:BaseUrl"] = "http://10.0.1.5:8000/v1",
        ["AgentCloud:Models:Endpoints:3:Placement"] = "dedicated",
        ["AgentCloud:Models:Endpoints:3:Tier"] = "enterprise",
        ["AgentCloud:Models:Endpoints:3:Models:0:Id"] = "llama-3.1-8b",
        ["AgentCloud:Models:Tiers:free:Models:0"] = "llama-3.1-8b",
        ["AgentCloud:Models:EmbeddingModel"] = "llama-3.1-8b",
        ["AgentCloud:Models:Tiers:free:DefaultMaxOutputTokens"] = "512",
    };

    private static ModelsConfiguration Read(Dictionary<string, string?> settings) =>
        ModelTopology.Read(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    private static string Refusal(params (string Key, string? Value)[] changes)
    {
        var settings = new Dictionary<string, string?>(Providers);
        foreach (var (key, value) in changes)
        {
            settings[key] = value;
        }
        return Assert.Throws<InvalidOperationException>(() => Read(settings)).Message;
    }

    [Fact]
    public void Without_the_section_the_simulators_serve_as_before()
    {
        var config = Read([]);

        Assert.Equal(["sim-small", "sim-large"], config.Catalogue.Select(m => m.Id));
        Assert.Equal(["model-simulator", "model-simulator-2", "model-simulator-dedicated"], config.Endpoints.Select(e => e.Name));
        Assert.All(config.Endpoints, e => Assert.Equal("simulator", e.Kind));
    }

    [Fact]
    public void A_platform_teams_providers_are_read_as_given()
    {
        var config = Read(Providers);

        Assert.Equal(["openai", "azure-openai", "vllm", "vllm"], config.Endpoints.Select(e => e.Kind));
        Assert.Equal("prod-4o-mini", config.Endpoints[1].Models[0].Upstream);
        Assert.Equal(0.075m, config.Catalogue[0].Prices.CachedInput);
    }

    [Fact]
    public void An_unknown_kind_is_refused_naming_the_kinds()
    {
        var message = Refusal(("AgentCloud:Models:Endpoints:2:Kind", "tgi"));

        Assert.Contains("AgentCloud:Models:Endpoints:2:Kind 'tgi' is unknown; use one of openai, azure-openai, vllm, ollama, simulator", message);
    }

    [Fact]
    public void An_external_endpoint_without_a_base_url_or_with_credentials_in_it_is_refused()
    {
        Assert.Contains("AgentCloud:Models:Endpoints:2:BaseUrl must be an absolute http(s) URL", Refusal(("AgentCloud:Models:Endpoints:2:BaseUrl", null)));
        var withCredentials = Refusal(("AgentCloud:Models:Endpoints:2:BaseUrl", "http://user:hunter2-secret@10.0.0.5:8000/v1"));
        Assert.Contains("no credentials or query", withCredentials);
        Assert.DoesNotContain("hunter2-secret", withCredentials);
    }

    [Fact]
    public void A_public_id_mapped_twice_on_one_endpoint_is_refused_as_an_alias_collision()
    {
        var message = Refusal(("AgentCloud:Models:Endpoints:1:Models:1:Id", "gpt-4o-mini"), ("AgentCloud:Models:Endpoints:1:Models:1:Upstream", "other-deployment"));

        Assert.Contains("AgentCloud:Models:Endpoints:1:Models:1: 'gpt-4o-mini' is listed twice on this endpoint", message);
    }

    [Fact]
    public void A_dedicated_endpoint_without_tier_or_tenant_is_refused()
    {
        var message = Refusal(("AgentCloud:Models:Endpoints:3:Tier", null));

        Assert.Contains("AgentCloud:Models:Endpoints:3: a dedicated endpoint needs exactly one of Tier", message);
    }

    [Fact]
    public void A_negative_price_an_unknown_model_and_a_missing_key_parameter_are_all_reported_at_once()
    {
        var message = Refusal(
            ("AgentCloud:Models:Catalogue:1:Prices:Output", "-0.10"),
            ("AgentCloud:Models:Endpoints:2:Models:0:Id", "llama-3.1-70b"),
            ("AgentCloud:Models:Endpoints:0:KeyParameter", null));

        Assert.Contains("Prices of 'llama-3.1-8b' must not be negative", message);
        Assert.Contains("'llama-3.1-70b' is not in the Catalogue", message);
        Assert.Contains("a openai endpoint needs KeyParameter", message);
    }

    [Fact]
    public void A_key_written_where_the_parameter_name_goes_is_refused_without_repeating_it()
    {
        var message = Refusal(("AgentCloud:Models:Endpoints:0:KeyParameter", "sk-proj-AbCdEf0123456789"));

        Assert.Contains("must be a parameter name", message);
        Assert.DoesNotContain("AbCdEf0123456789", message);
    }

    [Fact]
    public async Task Configured_providers_reach_the_router_controlplane_and_usage_aggregator_with_keys_as_secret_parameters()
    {
        var args = Providers.Select(kv => $"--{kv.Key}={kv.Value}").ToArray();
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentCloud_AppHost>(AppHostArgs.Local().ToArgs(args));

        var router = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "inference-router"));
        var controlPlane = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "controlplane"));
        var usage = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "usage-aggregator"));
        var memory = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "memory"));

        Assert.Equal("llama-3.1-8b", memory["Memory__EmbeddingModel"]);
        Assert.DoesNotContain(builder.Resources, r => r.Name.StartsWith("model-simulator", StringComparison.Ordinal));
        Assert.Equal(("OpenAi", "https://api.openai.com/v1", "{openai-api-key.value}"),
            (router["InferenceRouter__Endpoints__0__Kind"], router["InferenceRouter__Endpoints__0__BaseUrl"], router["InferenceRouter__Endpoints__0__ApiKey"]));
        Assert.True(Assert.IsType<ParameterResource>(builder.Resources.Single(r => r.Name == "openai-api-key")).Secret);
        Assert.Equal(("AzureOpenAi", "preview", "gpt-4o-mini", "prod-4o-mini"), (router["InferenceRouter__Endpoints__1__Kind"], router["InferenceRouter__Endpoints__1__ApiVersion"],
            router["InferenceRouter__Endpoints__1__Aliases__0__Model"], router["InferenceRouter__Endpoints__1__Aliases__0__Upstream"]));
        Assert.False(router.ContainsKey("InferenceRouter__Endpoints__2__ApiKey"));
        Assert.Equal(("dedicated", "enterprise"), (router["InferenceRouter__Endpoints__3__Placement"], router["InferenceRouter__Endpoints__3__Tier"]));
        Assert.Equal(("gpt-4o-mini", "128000"), (controlPlane["ControlPlane__Catalogue__Models__0__Id"], controlPlane["ControlPlane__Catalogue__Models__0__MaxContextTokens"]));
        Assert.Equal(("llama-3.1-8b", "512"), (controlPlane["ControlPlane__Catalogue__Tiers__free__Models__0"], controlPlane["ControlPlane__Catalogue__Tiers__free__DefaultMaxOutputTokens"]));
        Assert.Equal(("llama-3.1-8b", "0.05", "0", "0.10"), (usage["UsageAggregator__Prices__Models__1__Model"], usage["UsageAggregator__Prices__Models__1__InputPerMillion"],
            usage["UsageAggregator__Prices__Models__1__CachedInputPerMillion"], usage["UsageAggregator__Prices__Models__1__OutputPerMillion"]));
    }

    [Fact]
    public async Task By_default_the_simulators_models_reach_the_controlplane_and_their_prices_the_usage_aggregator_and_the_router_alike()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentCloud_AppHost>(AppHostArgs.Local().ToArgs());

        var controlPlane = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "controlplane"));
        var usage = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "usage-aggregator"));
        var simulator = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "model-simulator-2"));

        Assert.Equal(("sim-small", "8192"), (controlPlane["ControlPlane__Catalogue__Models__0__Id"], controlPlane["ControlPlane__Catalogue__Models__0__MaxContextTokens"]));
        Assert.Equal(("sim-large", "2.50", "10.00"), (usage["UsageAggregator__Prices__Models__1__Model"], usage["UsageAggregator__Prices__Models__1__InputPerMillion"], usage["UsageAggregator__Prices__Models__1__OutputPerMillion"]));
        Assert.Equal(("shared-1", "sim-small", "sim-large"), (simulator["ModelSimulator__InstanceName"], simulator["ModelSimulator__Models__0"], simulator["ModelSimulator__Models__1"]));
        // Dollar budgets are reserved at the prices the usage is billed at.
        var router = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "inference-router"));
        foreach (var field in new[] { "Model", "InputPerMillion", "CachedInputPerMillion", "OutputPerMillion", "EffectiveFrom" })
        {
            Assert.Equal(usage[$"UsageAggregator__Prices__Models__1__{field}"], router[$"InferenceRouter__Prices__Models__1__{field}"]);
        }
    }
}
