namespace AgentCloud.AppHost.Models;

/// <summary>
/// The <c>AgentCloud:Models</c> section: the models the platform offers (context length, prices), the endpoints that
/// serve them (kind, URL, key parameter, aliases, placement, capabilities) and what each tier gets. The AppHost hands
/// it to the router (endpoints), the ControlPlane (catalogue, tiers) and the UsageAggregator (prices).
/// </summary>
public sealed class ModelsConfiguration
{
    public const string SectionName = "AgentCloud:Models";

    public List<ModelDefinition> Catalogue { get; set; } = [];
    public List<EndpointDefinition> Endpoints { get; set; } = [];

    /// <summary>The model Memory embeds text with (one of the catalogue's); unset: Memory's own default.</summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>Per tier (<c>free</c>, <c>pro</c>, <c>enterprise</c>): models and default output budget; see the ControlPlane's defaults.</summary>
    public Dictionary<string, TierDefinition> Tiers { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A public model id as tenants call it.</summary>
public sealed class ModelDefinition
{
    public string Id { get; set; } = "";
    public int ContextLength { get; set; }
    public ModelPrices Prices { get; set; } = new();
}

/// <summary>Per million tokens; <see cref="EffectiveFrom"/> unset: from when the platform first starts with these prices.</summary>
public sealed class ModelPrices
{
    public decimal Input { get; set; }
    public decimal CachedInput { get; set; }
    public decimal Output { get; set; }
    public DateTimeOffset? EffectiveFrom { get; set; }
}

public sealed class EndpointDefinition
{
    public string Name { get; set; } = "";

    /// <summary><c>openai</c>, <c>azure-openai</c>, <c>vllm</c>, <c>ollama</c> or <c>simulator</c> (started by the AppHost).</summary>
    public string Kind { get; set; } = "";

    /// <summary>The OpenAI-style base URL with its version path (not for simulators).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The AppHost secret parameter holding the endpoint's key (<c>Parameters:&lt;name&gt;</c>); none: no key is sent.</summary>
    public string? KeyParameter { get; set; }

    /// <summary>Azure OpenAI's <c>api-version</c>.</summary>
    public string? ApiVersion { get; set; }

    /// <summary><c>shared</c> or <c>dedicated</c> (then <see cref="Tier"/> or <see cref="TenantId"/>).</summary>
    public string Placement { get; set; } = "shared";
    public string? Tier { get; set; }
    public string? TenantId { get; set; }

    public List<ServedModel> Models { get; set; } = [];
    public EndpointCapabilities Capabilities { get; set; } = new();

    /// <summary>A platform-wide weighted-token budget per minute on this endpoint (0: none).</summary>
    public long TokensPerMinute { get; set; }

    /// <summary>For the built-in simulators only: the instance name the simulator reports.</summary>
    internal string? SimulatorInstance { get; set; }
}

/// <summary>A public model id, and the upstream's own name for it (a deployment, a served name) when that differs.</summary>
public sealed class ServedModel
{
    public string Id { get; set; } = "";
    public string? Upstream { get; set; }
}

/// <summary>Unset: the kind's default (cacheSalt: simulator and vLLM only).</summary>
public sealed class EndpointCapabilities
{
    public bool? CacheSalt { get; set; }
    public bool? Tools { get; set; }
    public bool? Embeddings { get; set; }
}

public sealed class TierDefinition
{
    public List<string> Models { get; set; } = [];
    public int? DefaultMaxOutputTokens { get; set; }
}
