using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Dispatch;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.InferenceRouter.Apis;

/// <summary>
/// OpenAI-compatible chat completions for the calling tenant: validated, admitted, routed, relayed, metered. The body
/// goes upstream as sent (tools, tool_choice, parallel_tool_calls, response_format included); only the router's own
/// fields (cache_salt, stream_options) are set on it.
/// </summary>
public static class ChatCompletionsApi
{
    public static RouteGroupBuilder MapChatCompletionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").AddEndpointFilter(new InferenceCapabilityFilter(embeddingsForMemory: false));
        api.MapPost("/chat/completions", CreateCompletion);
        return api;
    }

    public static async Task<Results<RelayedCall, ProblemHttpResult>> CreateCompletion(HttpContext http, TenantContext ctx, [AsParameters] RouterServices services)
    {
        var (body, malformed) = await OpenAiJson.ReadObjectAsync(http.Request.Body, http.RequestAborted);
        if (body is null)
        {
            return Problems.BadRequest(malformed!);
        }
        var request = ChatRequestReader.TryRead(body, services.Options.Value.MaxOutputTokens, out var problem);
        if (request is null)
        {
            return Problems.BadRequest(problem!);
        }
        var call = InferenceCall.Chat(ctx, request, body, services.Tokens.CountPrompt(request), services.Time.GetUtcNow(),
            LaneHeader.From(http.Request), clientWantsUsage: request.Stream && request.IncludeUsage);
        var refusal = await services.Admission.AdmitAsync(call, http.RequestAborted);
        return refusal is null ? new RelayedCall(call) : refusal.ToProblem(http.Response);
    }
}
