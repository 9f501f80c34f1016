using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Endpoints;

namespace AgentCloud.InferenceRouter.Dispatch;

/// <summary>
/// Fits an admitted call's body to the endpoint it is about to be sent to (again for each fallback attempt): the
/// upstream's name for the model, the cache field the upstream understands, and the output cap in the field it takes.
/// </summary>
public static class UpstreamBody
{
    public static void Prepare(InferenceCall call, UpstreamEndpoint endpoint)
    {
        var body = call.Body;
        body["model"] = endpoint.UpstreamModel(call.Model);
        if (call.Kind != InferenceKind.Chat)
        {
            return;
        }
        if (call.Stream)
        {
            // The router meters every stream, so it always asks for the final usage chunk.
            var streamOptions = body["stream_options"] as JsonObject ?? [];
            streamOptions["include_usage"] = true;
            body["stream_options"] = streamOptions;
        }
        SetCacheFields(call, endpoint, body);
        SetOutputCap(call, endpoint, body);
    }

    /// <summary>
    /// <c>cache_salt</c> only where the upstream partitions its cache by it (others refuse the unknown field). OpenAI's
    /// <c>prompt_cache_key</c> is a routing hint, not isolation: it gets the tenant's derived salt (never the tenant id),
    /// and the endpoint still counts as a cache shared across tenants when placing calls.
    /// </summary>
    private static void SetCacheFields(InferenceCall call, UpstreamEndpoint endpoint, JsonObject body)
    {
        if (endpoint.SupportsCacheSalt)
        {
            if (call.CacheSalt is { } salt)
            {
                body[CacheSaltStep.Field] = salt;
            }
            body.Remove(CacheSaltStep.PromptCacheKeyField);
            return;
        }
        body.Remove(CacheSaltStep.Field);
        body.Remove(CacheSaltStep.PromptCacheKeyField);
        if (endpoint.Kind.IsOpenAiService() && call.CacheSalt is { } key && call.Policy.KvCachePolicy != Platform.Contracts.KvCachePolicy.Off)
        {
            body[CacheSaltStep.PromptCacheKeyField] = key;
        }
    }

    private static void SetOutputCap(InferenceCall call, UpstreamEndpoint endpoint, JsonObject body)
    {
        if (endpoint.Kind.IsOpenAiService() && body["max_tokens"] is { } legacy)
        {
            // OpenAI's reasoning models refuse max_tokens; max_completion_tokens means the same to every OpenAI model.
            body.Remove("max_tokens");
            body["max_completion_tokens"] ??= legacy;
        }
        if (call.DefaultOutputCap is { } cap && body["max_tokens"] is null && body["max_completion_tokens"] is null)
        {
            body[endpoint.Kind.IsOpenAiService() ? "max_completion_tokens" : "max_tokens"] = cap;
        }
    }
}
