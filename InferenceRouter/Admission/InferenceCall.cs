using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.ServiceDefaults.Contracts;
using AgentCloud.ServiceDefaults.Tenancy;

namespace AgentCloud.InferenceRouter.Admission;

public enum InferenceKind
{
    Chat,
    Embedding,
}

/// <summary>
/// One inference request on its way through the router: what the client asked (already validated), and what each
/// admission step decided (policy, entitlement, route). The body is what will be sent upstream.
/// </summary>
public sealed class InferenceCall
{
    public required TenantContext Context { get; init; }
    public required InferenceKind Kind { get; init; }
    public required string Model { get; init; }
    public required JsonObject Body { get; init; }

    /// <summary>Tokens checked against the tenant's context length: the chat prompt, or the longest embedding input.</summary>
    public required int PromptTokens { get; init; }

    /// <summary>Tokens billed as input when the upstream does not report its own count.</summary>
    public required int InputTokens { get; init; }
    public int? MaxTokens { get; init; }
    public bool Stream { get; init; }

    /// <summary>Whether the client asked for the final usage chunk of a stream (the router always asks the upstream for it).</summary>
    public bool ClientWantsUsage { get; init; }
    public required DateTimeOffset StartedAt { get; init; }

    public TenantPolicy Policy { get; set; } = null!;
    public ModelEntitlement Entitlement { get; set; } = null!;
    public EndpointRoute Route { get; set; } = null!;
}
