using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Dispatch;
using AgentCloud.InferenceRouter.Responses;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.InferenceRouter.Apis;

/// <summary>
/// OpenAI's Responses API (<c>POST /v1/responses</c>), stateless: the request is translated to a chat completion and
/// takes the chat path (admission, quota, fair queue, one usage event billed as a chat), so every upstream that
/// speaks chat completions serves it. The answer comes back as a Response object or as Responses stream events.
/// </summary>
public static class ResponsesApi
{
    public static RouteGroupBuilder MapResponsesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").AddEndpointFilter(new InferenceCapabilityFilter(embeddingsForMemory: false));
        api.MapPost("/responses", CreateResponse);
        return api;
    }

    public static async Task<Results<TranslatedResponse, ProblemHttpResult>> CreateResponse(HttpContext http, TenantContext ctx, [AsParameters] RouterServices services)
    {
        var (body, malformed) = await OpenAiJson.ReadObjectAsync(http.Request.Body, http.RequestAborted);
        if (body is null)
        {
            return Problems.BadRequest(malformed!);
        }
        var maxOutputTokens = services.Options.Value.MaxOutputTokens;
        var translated = ResponsesRequest.TryTranslate(body, maxOutputTokens, out var problem);
        if (translated is null)
        {
            return Problems.BadRequest(problem!);
        }
        var request = ChatRequestReader.TryRead(translated.ChatBody, maxOutputTokens, out problem);
        if (request is null)
        {
            return Problems.BadRequest($"{problem} (The request is served as a chat completion: 'messages' are 'instructions' then the 'input' items.)");
        }
        // The Response carries usage, so a stream's usage chunk must reach the translation.
        var call = InferenceCall.Chat(ctx, request, translated.ChatBody, services.Tokens.CountPrompt(request), services.Time.GetUtcNow(),
            LaneHeader.From(http.Request), clientWantsUsage: request.Stream);
        var refusal = await services.Admission.AdmitAsync(call, http.RequestAborted);
        return refusal is null
            ? new TranslatedResponse(new RelayedCall(call), translated, call.StartedAt.ToUnixTimeSeconds())
            : refusal.ToProblem(http.Response);
    }
}
