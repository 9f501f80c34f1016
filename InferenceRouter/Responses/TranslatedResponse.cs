using AgentCloud.InferenceRouter.Dispatch;
using Microsoft.AspNetCore.Http.Features;

namespace AgentCloud.InferenceRouter.Responses;

/// <summary>
/// The answer to an admitted Responses call: the chat relay runs exactly as for a chat completion (one dispatch, one
/// usage event, one settlement), writing into a <see cref="ResponsesBody"/> that turns its output into the Responses
/// API's shapes.
/// </summary>
public sealed class TranslatedResponse(RelayedCall relayed, ResponsesRequest request, long createdAt) : IResult
{
    public ResponsesRequest Request => request;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var original = httpContext.Features.Get<IHttpResponseBodyFeature>()!;
        var body = new ResponsesBody(httpContext.Response, original.Stream, request, ResponseObject.NewId("resp"), createdAt);
        var translating = new StreamResponseBodyFeature(body, original);
        httpContext.Features.Set<IHttpResponseBodyFeature>(translating);
        try
        {
            await relayed.ExecuteAsync(httpContext);
        }
        finally
        {
            httpContext.Features.Set(original);
        }
        try
        {
            await translating.CompleteAsync(); // anything the relay left in the pipe
            await body.CompleteAsync(httpContext.RequestAborted);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client went away; the call was metered by the relay already.
        }
    }
}
