using AgentCloud.ModelSimulator.Extensions;
using AgentCloud.ModelSimulator.Inference;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCloud.ModelSimulator.Apis;

/// <summary>OpenAI-compatible embeddings: deterministic, normalised, similar for texts that share words.</summary>
public static class EmbeddingsApi
{
    public static RouteGroupBuilder MapEmbeddingsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1");
        api.MapPost("/embeddings", CreateEmbeddings);
        return api;
    }

    public static async Task<Results<JsonHttpResult<EmbeddingList>, ProblemHttpResult>> CreateEmbeddings(
        HttpContext http, SimTokenizer tokenizer, IOptions<SimulatorOptions> options)
    {
        var o = options.Value;
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
        if (!o.Models.Contains(request.Model, StringComparer.Ordinal))
        {
            return Problems.NotFound($"The model '{request.Model}' is not served here; models: {string.Join(", ", o.Models)}.");
        }
        var dimensions = request.Dimensions ?? o.EmbeddingDimensions;
        var items = request.Inputs.Select((text, i) => new EmbeddingItem("embedding", i, Embedder.Embed(text, dimensions))).ToList();
        var tokens = request.Inputs.Sum(tokenizer.Count);
        return TypedResults.Json(new EmbeddingList("list", items, request.Model, new Usage(tokens, 0, tokens)), OpenAiShapes.Json);
    }
}
