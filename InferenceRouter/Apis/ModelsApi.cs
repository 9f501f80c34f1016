using System.Text.Json.Serialization;
using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.InferenceRouter.Apis;

/// <summary>
/// OpenAI-compatible model listing and lookup: only the models the calling tenant is entitled to and the router can
/// serve. Any other id is 404 with the same answer whether or not some other tenant has it, so the lookup reveals
/// nothing about other tenants' models.
/// </summary>
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").AddEndpointFilter(new InferenceCapabilityFilter(embeddingsForMemory: false));
        api.MapGet("/models", ListModels);
        // A catch-all, so an id with a slash in it ("org/model") is one id.
        api.MapGet("/models/{**id}", GetModel);
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
        var models = policy.Models.Where(m => catalogue.Serves(m.Id)).Select(Entry).ToList();
        return TypedResults.Ok(new ModelList("list", models));
    }

    public static async Task<Results<Ok<ModelEntry>, ProblemHttpResult>> GetModel(
        string id, TenantContext ctx, ITenantPolicySource policies, EndpointCatalogue catalogue, ILogger<ModelList> logger, CancellationToken cancellationToken)
    {
        var (policy, refusal) = await PolicyStep.LoadAsync(policies, ctx, logger, cancellationToken);
        if (policy is null)
        {
            return refusal!.ToProblem();
        }
        var model = policy.Models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.Ordinal) && catalogue.Serves(m.Id));
        return model is null
            ? Problems.Create(StatusCodes.Status404NotFound, "model-not-found", "Model not found",
                $"No model '{id}' is available to this key; GET /v1/models lists the ones that are.")
            : TypedResults.Ok(Entry(model));
    }

    private static ModelEntry Entry(ModelEntitlement m) => new(m.Id, "model", 0, "agentcloud", m.MaxContextTokens);
}

public sealed record ModelList(string Object, IReadOnlyList<ModelEntry> Data);

public sealed record ModelEntry(
    string Id, string Object, long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy,
    [property: JsonPropertyName("max_context_tokens")] int MaxContextTokens);
