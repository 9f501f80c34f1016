using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.InferenceRouter.Quota;
using AgentCloud.InferenceRouter.Scheduling;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Pricing;
using AgentCloud.Platform.Tenancy;

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

    /// <summary>A chat's prompt as rendered for the model (<c>PromptText.Render</c>); its leading blocks key cache-aware routing.</summary>
    public string? Prompt { get; init; }
    public bool Stream { get; init; }

    /// <summary>Whether the client asked for the final usage chunk of a stream (the router always asks the upstream for it).</summary>
    public bool ClientWantsUsage { get; init; }
    public required DateTimeOffset StartedAt { get; init; }

    public TenantPolicy Policy { get; set; } = null!;
    public ModelEntitlement Entitlement { get; set; } = null!;
    public EndpointRoute Route { get; set; } = null!;

    /// <summary>This call's weight on its shared endpoint's placed load, lifted when the call is settled.</summary>
    public IDisposable? Placed { get; set; }

    /// <summary>Interactive unless the caller asked for the batch lane (<c>x-agentcloud-lane: batch</c>).</summary>
    public Lane Lane { get; init; } = Lane.Interactive;

    /// <summary>How this model's tokens burn the tenant's budgets.</summary>
    public BurndownMultipliers Multipliers { get; set; } = BurndownMultipliers.Unit;

    /// <summary>The worst-case hold on the tenant's budgets, settled to the real usage when the call ends.</summary>
    public TokenReservation? Reservation { get; set; }

    /// <summary>Weighted tokens left this minute after the hold, for <c>x-ratelimit-remaining-tokens</c>.</summary>
    public long? RemainingTokens { get; set; }

    /// <summary>What the endpoint must support beyond the model: tools for a chat that sends them, embeddings for an embedding call.</summary>
    public CallNeeds Needs => Kind == InferenceKind.Embedding ? CallNeeds.Embeddings
        : Body["tools"] is JsonArray { Count: > 0 } ? CallNeeds.Tools : CallNeeds.None;

    /// <summary>The tenant's derived cache salt, computed once per call (placement keys on it, and the upstream may get it).</summary>
    public string? TenantSalt { get; set; }

    /// <summary>The salt the router chose for this call's KV cache (null when salting is disabled).</summary>
    public string? CacheSalt { get; set; }

    /// <summary>For a chat without <c>max_tokens</c>: the output reserved for it, sent upstream as its cap.</summary>
    public int? DefaultOutputCap { get; set; }

    /// <summary>The call's slot on a shared endpoint, handed on to the next call when this one ends.</summary>
    public SchedulerLease? Lease { get; set; }

    /// <summary>A chat call for <paramref name="request"/>, whose body goes upstream as <paramref name="body"/>.</summary>
    public static InferenceCall Chat(TenantContext context, ChatRequest request, JsonObject body, CountedPrompt prompt,
        DateTimeOffset startedAt, Lane lane, bool clientWantsUsage) => new()
    {
        Context = context,
        Kind = InferenceKind.Chat,
        Model = request.Model,
        Body = body,
        PromptTokens = prompt.Tokens,
        InputTokens = prompt.Tokens,
        MaxTokens = request.MaxTokens,
        Prompt = prompt.Text,
        Stream = request.Stream,
        ClientWantsUsage = clientWantsUsage,
        StartedAt = startedAt,
        Lane = lane,
    };

    /// <summary>The model's price (null: none, so it costs nothing against dollar budgets).</summary>
    public ModelPrice? Price { get; set; }

    /// <summary>What a usage report spends: its weighted tokens and its cost at the model's price.</summary>
    public CallSpend Spend(long input, long cached, long output, long weighted) =>
        new(weighted, Price?.Microdollars(input, cached, output) ?? 0);

    /// <summary>Weighted tokens of a usage report: uncached input, cached input and output through the multipliers.</summary>
    public long Weigh(long input, long cached, long output) => Multipliers.Weigh(Math.Max(0, input - cached), cached, output);
}
