using System.Net;
using System.Text.Json;
using AgentCloud.Memory.Domain;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.Extensions.Options;

namespace AgentCloud.Memory.Embeddings;

/// <summary>
/// Embeds through the InferenceRouter's OpenAI-compatible <c>/v1/embeddings</c>, forwarding the caller's own signed
/// context so the router meters and charges the tokens to that tenant (and applies its entitlements and quotas).
/// </summary>
public sealed class RouterTextEmbedder(IHttpClientFactory httpClients, IHttpContextAccessor httpContext, IOptions<MemoryOptions> options,
    ILogger<RouterTextEmbedder> logger) : ITextEmbedder
{
    public const string HttpClientName = "agentcloud-inference-router";

    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var caller = httpContext.HttpContext;
        if (caller is null || string.IsNullOrEmpty(caller.Request.Headers[TenantContextHeaders.Context].ToString()))
        {
            throw new InvalidOperationException("Texts are embedded only on behalf of a caller whose tenant context is at hand.");
        }
        var vectors = new List<float[]>(texts.Count);
        foreach (var batch in texts.Chunk(options.Value.EmbeddingBatchSize))
        {
            vectors.AddRange(await EmbedBatchAsync(batch, caller, cancellationToken));
        }
        return vectors;
    }

    private async Task<float[][]> EmbedBatchAsync(string[] texts, HttpContext caller, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings")
        {
            Content = JsonContent.Create(new EmbeddingsRequest(options.Value.EmbeddingModel, texts)),
        };
        // The caller's onward context for the router (its own is minted for Memory only); it says "via memory", so the
        // router charges the tenant for the embedding under the caller's memory:read or memory:write, not inference.
        OnwardContext.Attach(request, caller, ServiceNames.InferenceRouter);
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "The InferenceRouter did not answer an embeddings call");
            throw new MemoryException(503, "embeddings-unavailable", "Service unavailable", "Texts could not be embedded: the inference router does not answer. Try again shortly, or send vectors.");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await RefusalAsync(response, cancellationToken);
            }
            var body = await response.Content.ReadFromJsonAsync<EmbeddingsResponse>(cancellationToken);
            var data = body?.Data ?? [];
            if (data.Count != texts.Length || data.Any(d => d.Embedding is not { Length: > 0 }))
            {
                throw new MemoryException(502, "embeddings-invalid", "Bad gateway", $"The inference router answered {data.Count} usable embeddings for {texts.Length} texts.");
            }
            return [.. data.OrderBy(d => d.Index).Select(d => d.Embedding!)];
        }
    }

    private static async Task<MemoryException> RefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var detail = await ReadDetailAsync(response, cancellationToken);
        var status = (int)response.StatusCode;
        // The router's refusals are the caller's (quota, entitlement, rate limit): pass them on; its failures are ours.
        return response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden or HttpStatusCode.NotFound
            or HttpStatusCode.TooManyRequests or HttpStatusCode.PaymentRequired
            ? new MemoryException(status, "embeddings-refused", "Embedding refused", $"The inference router refused to embed the texts: {detail}")
            : new MemoryException(502, "embeddings-failed", "Bad gateway", $"The inference router failed to embed the texts ({status}): {detail}");
    }

    private static async Task<string> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String)
            {
                return d.GetString()!;
            }
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e)
                && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
            {
                return m.GetString()!;
            }
        }
        catch (JsonException)
        {
            // not JSON: the status says enough
        }
        return response.ReasonPhrase ?? "no detail";
    }

    private sealed record EmbeddingsRequest(string Model, IReadOnlyList<string> Input);

    private sealed record EmbeddingsResponse(List<EmbeddingItem>? Data);

    private sealed record EmbeddingItem(float[]? Embedding, int Index);
}
