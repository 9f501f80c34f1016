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
        // Token ids are embedded as the text they decode to, so a text and its tokens get the same vector.
        var texts = new List<string>(request.Inputs.Count);
        foreach (var (input, i) in request.Inputs.Select((input, i) => (input, i)))
        {
            var text = input.Text ?? tokenizer.TryDecode(input.Tokens!);
            if (text is null)
            {
                return Problems.BadRequest($"'input[{i}]' holds a token id outside this model's vocabulary (cl100k_base).");
            }
            texts.Add(text);
        }
        var items = texts.Select((text, i) => new EmbeddingItem("embedding", i, Embedder.Embed(text, dimensions))).ToList();
        var tokens = request.Inputs.Sum(input => input.Tokens?.Count ?? tokenizer.Count(input.Text!));
        return TypedResults.Json(new EmbeddingList("list", items, request.Model, new Usage(tokens, 0, tokens)), OpenAiShapes.Json);
    }
}
