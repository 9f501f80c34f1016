using System.Net.Http.Headers;
using System.Text.Json;
using AgentCloud.InferenceRouter.Admission;

namespace AgentCloud.InferenceRouter.Dispatch;

/// <summary>Sends an admitted call to its current route's endpoint with the endpoint's key; returns as soon as the headers arrive.</summary>
public sealed class UpstreamClient(IHttpClientFactory httpClients)
{
    public const string HttpClientName = "inference-upstream";

    public Task<HttpResponseMessage> SendAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        var endpoint = call.Route.Endpoint;
        UpstreamBody.Prepare(call, endpoint);
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Path(call.Kind == InferenceKind.Chat ? "chat/completions" : "embeddings"))
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(call.Body)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (endpoint.ApiKey.Length == 0)
        {
            // A keyless upstream (a local vLLM or Ollama): no credential goes out at all.
        }
        else if (endpoint.ApiKeyHeader.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.ApiKey);
        }
        else
        {
            request.Headers.TryAddWithoutValidation(endpoint.ApiKeyHeader, endpoint.ApiKey);
        }
        return httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }
}
