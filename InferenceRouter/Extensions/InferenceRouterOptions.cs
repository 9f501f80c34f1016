using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.Platform.Contracts;
using System.ComponentModel.DataAnnotations;

namespace AgentCloud.InferenceRouter.Extensions;

/// <summary>The router's settings: its upstreams (the endpoint catalogue), their key, and the secret behind cache salts.</summary>
public sealed class InferenceRouterOptions : IValidatableObject
{
    public const string SectionName = "InferenceRouter";

    /// <summary>The API key presented to upstreams that do not name their own.</summary>
    public string UpstreamApiKey { get; set; } = "";

    /// <summary>The router secret under which a tenant's <c>cache_salt</c> is derived (HMAC of the tenant id). Never leaves the router.</summary>
    [Required(AllowEmptyStrings = false)]
    [MinLength(16)]
    public string CacheSaltSecret { get; set; } = "";

    /// <summary>
    /// <see cref="CacheSalting.Enforced"/> in every real deployment. <see cref="CacheSalting.Disabled"/> exists only so
    /// the side-channel test can show that it fails without salting: the router then forwards the client's salt untouched.
    /// </summary>
    public CacheSalting CacheSalting { get; set; } = CacheSalting.Enforced;

    /// <summary>The largest <c>max_tokens</c> accepted at all; each tenant's context length limits it further.</summary>
    [Range(1, 1_000_000)]
    public int MaxOutputTokens { get; set; } = 32_768;

    /// <summary>
    /// What a chat without <c>max_tokens</c> may generate when its tenant's policy names no default of its own: the
    /// router reserves this much output (at most what the context leaves) and caps the upstream at it.
    /// </summary>
    [Range(1, 1_000_000)]
    public int DefaultMaxOutputTokens { get; set; } = 4_096;

    /// <summary>
    /// How long one upstream attempt may take to answer with its headers; past it (or on a 5xx or a refused connection,
    /// before anything reached the client) the call moves to the next endpoint serving the model.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    [MinLength(1)]
    public List<EndpointOptions> Endpoints { get; set; } = [];

    /// <summary>
    /// How long a call waits for the token ledger in Redis; past it the tenant's <c>rateLimitFailMode</c> decides:
    /// <c>open</c> admits against this router's provisional ledger, <c>closed</c> answers 503 with Retry-After.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:00:05")]
    public TimeSpan LedgerDeadline { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often settles the ledger could not take (Redis away) are retried.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan LedgerReconcileInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a token hold lives unless renewed; a call renews its hold at half this while it runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReservationTtl { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long the router still waits for a non-streaming answer after its client went away, so the tokens the
    /// upstream produced are billed rather than lost.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AbandonedCallWait { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (e, i) in Endpoints.Select((e, i) => (e, i)))
        {
            var where = $"InferenceRouter:Endpoints:{i}";
            if (string.IsNullOrWhiteSpace(e.Name) || !names.Add(e.Name))
            {
                yield return new ValidationResult($"{where}:Name must be set and unique.");
            }
            if (!Uri.TryCreate(e.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                // Not echoed: a URL may carry credentials.
                yield return new ValidationResult($"{where}:BaseUrl must be an absolute http(s) URL such as http://vllm:8000/v1.");
            }
            if (e.Models.Count == 0)
            {
                yield return new ValidationResult($"{where}:Models must name at least one model.");
            }
            if (!Enum.IsDefined(e.Placement))
            {
                yield return new ValidationResult($"{where}:Placement must be 'shared' or 'dedicated', not '{e.Placement}'.");
            }
            if (e.Placement == InferencePlacement.Dedicated && string.IsNullOrWhiteSpace(e.TenantId) && string.IsNullOrWhiteSpace(e.Tier))
            {
                yield return new ValidationResult($"{where}: a dedicated endpoint needs TenantId (one tenant's own) or Tier (a pool for that tier's tenants).");
            }
            if (e.Placement == InferencePlacement.Shared && (!string.IsNullOrWhiteSpace(e.TenantId) || !string.IsNullOrWhiteSpace(e.Tier)))
            {
                yield return new ValidationResult($"{where}: a shared endpoint takes neither TenantId nor Tier.");
            }
            if (string.IsNullOrEmpty(e.ApiKey) && string.IsNullOrEmpty(UpstreamApiKey) && e.Kind == EndpointKind.Simulator)
            {
                yield return new ValidationResult($"{where}: no ApiKey and no InferenceRouter:UpstreamApiKey to fall back on.");
            }
            if (!Enum.IsDefined(e.Kind))
            {
                yield return new ValidationResult($"{where}:Kind must be one of {string.Join(", ", Enum.GetNames<EndpointKind>())}, not '{e.Kind}'.");
            }
            var aliased = new HashSet<string>(StringComparer.Ordinal);
            foreach (var alias in e.Aliases)
            {
                if (!e.Models.Contains(alias.Model, StringComparer.Ordinal) || string.IsNullOrWhiteSpace(alias.Upstream) || !aliased.Add(alias.Model))
                {
                    yield return new ValidationResult($"{where}:Aliases: '{alias.Model}' must be one of the endpoint's Models, named once, with a non-empty Upstream.");
                }
            }
        }
    }
}

public enum CacheSalting
{
    Enforced,
    Disabled,
}

/// <summary>One OpenAI-compatible upstream (vLLM, Ollama, OpenAI, Azure OpenAI, the simulator).</summary>
public sealed class EndpointOptions
{
    public string Name { get; set; } = "";

    /// <summary>The OpenAI base URL including its version path, e.g. <c>http://model-simulator/v1</c>.</summary>
    public string BaseUrl { get; set; } = "";

    public List<string> Models { get; set; } = [];

    /// <summary><c>shared</c> (the pool every non-dedicated tenant uses) or <c>dedicated</c>.</summary>
    public InferencePlacement Placement { get; set; } = InferencePlacement.Shared;

    /// <summary>For a dedicated endpoint: the one tenant it serves.</summary>
    public string? TenantId { get; set; }

    /// <summary>For a dedicated endpoint without a tenant: the tier whose dedicated tenants it serves, each tenant pinned to one endpoint.</summary>
    public string? Tier { get; set; }

    /// <summary>This upstream's own key (a secret); a simulator without one gets <see cref="InferenceRouterOptions.UpstreamApiKey"/>, other kinds none.</summary>
    public string? ApiKey { get; set; }

    /// <summary><c>Authorization</c> (sent as Bearer) or a raw header such as Azure OpenAI's <c>api-key</c>.</summary>
    public string ApiKeyHeader { get; set; } = "Authorization";

    /// <summary>A platform-wide budget of weighted tokens per minute on this endpoint, across tenants (0: none).</summary>
    public long TokensPerMinute { get; set; }

    /// <summary>What speaks at <see cref="BaseUrl"/>: decides which cache and output-limit fields it takes.</summary>
    public EndpointKind Kind { get; set; } = EndpointKind.Simulator;

    /// <summary>The upstream's own name for a public model id (an Azure deployment, a vLLM served name); unlisted ids go as they are.</summary>
    public List<ModelAlias> Aliases { get; set; } = [];

    /// <summary>Whether the upstream keeps prompts with different <c>cache_salt</c> apart; unset: the kind's default (simulator and vLLM do).</summary>
    public bool? CacheSalt { get; set; }

    /// <summary>Whether chats with <c>tools</c> may go here (default yes); without, they go to another endpoint of the model.</summary>
    public bool Tools { get; set; } = true;

    /// <summary>Whether embedding calls may go here (default yes).</summary>
    public bool Embeddings { get; set; } = true;

    /// <summary>Azure OpenAI's <c>api-version</c> query parameter, when the deployment wants one.</summary>
    public string? ApiVersion { get; set; }
}

/// <summary>A public model id and the name the upstream knows it by.</summary>
public sealed class ModelAlias
{
    public string Model { get; set; } = "";
    public string Upstream { get; set; } = "";
}
