using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Dispatch;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.InferenceRouter.Apis;

/// <summary>OpenAI-compatible embeddings for the calling tenant, through the same admission as chats.</summary>
public static class EmbeddingsApi
{
    public static RouteGroupBuilder MapEmbeddingsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").AddEndpointFilter(new InferenceCapabilityFilter(embeddingsForMemory: true));
        api.MapPost("/embeddings", CreateEmbeddings);
        return api;
    }

    public static async Task<Results<RelayedCall, ProblemHttpResult>> CreateEmbeddings(HttpContext http, TenantContext ctx, [AsParameters] RouterServices services)
    {
        var (body, malformed) = await OpenAiJson.ReadObjectAsync(http.Request.Body, http.RequestAborted);
        if (body is null)
        {
            return Problems.BadRequest(malformed!);
        }
        var request = EmbeddingRequestReader.TryRead(body, out var problem);
        if (request is null)
        {
            return Problems.BadRequest(problem!);
        }
        // A token-array input is already tokenized: its length is its count.
        var counts = request.Inputs.Select(i => i.Tokens?.Count ?? services.Tokens.Count(i.Text!)).ToList();
        var call = new InferenceCall
        {
            Context = ctx,
            Kind = InferenceKind.Embedding,
            Model = request.Model,
            Body = body,
            PromptTokens = counts.Max(),
            InputTokens = counts.Sum(),
            StartedAt = services.Time.GetUtcNow(),
            Lane = LaneHeader.From(http.Request),
        };
        var refusal = await services.Admission.AdmitAsync(call, http.RequestAborted);
        return refusal is null ? new RelayedCall(call) : refusal.ToProblem(http.Response);
    }
}
