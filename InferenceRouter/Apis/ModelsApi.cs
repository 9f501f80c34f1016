using System.Text.Json.Serialization;
using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.InferenceRouter.Apis;

/// <summary>OpenAI-compatible model listing: only the models the calling tenant is entitled to and the router can serve.</summary>
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").AddEndpointFilter(new InferenceCapabilityFilter(embeddingsForMemory: false));
        api.MapGet("/models", ListModels);
        return api;
    }

    public static async Task<Results<Ok<ModelList>, ProblemHttpResult>> ListModels(
        TenantContext ctx, ITenantPolicySource policies, EndpointCatalogue catalogue, ILogger<ModelList> logger, CancellationToken cancellationToken)
    {
        var (policy, refusal) = await PolicyStep.LoadAsync(policies, ctx, logger, cancellationToken);
        if (policy is null)
        {
            return refusal!.ToProblem();
        }
        var models = policy.Models.Where(m => catalogue.Serves(m.Id))
            .Select(m => new ModelEntry(m.Id, "model", 0, "agentcloud", m.MaxContextTokens)).ToList();
        return TypedResults.Ok(new ModelList("list", models));
    }
}

public sealed record ModelList(string Object, IReadOnlyList<ModelEntry> Data);

public sealed record ModelEntry(
    string Id, string Object, long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy,
    [property: JsonPropertyName("max_context_tokens")] int MaxContextTokens);
