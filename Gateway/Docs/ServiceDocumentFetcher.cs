using System.Text.Json.Nodes;
using AgentCloud.Gateway.Auth;
using AgentCloud.Gateway.Proxy;
using AgentCloud.Gateway.Signing;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.Gateway.Docs;

/// <summary>
/// Fetches the OpenAPI document of every service the Gateway routes to (service discovery names, as the proxy uses),
/// each call carrying an operator context signed for that service alone, as a proxied admin call would.
/// </summary>
public sealed class ServiceDocumentFetcher(IHttpClientFactory clients, GatewaySigningKeys keys)
{
    public const string HttpClientName = "api-docs";

    public static IReadOnlyList<string> Services { get; } = ProxyRoutes.Routes.Select(r => ProxyRoutes.ServiceOf(r.ClusterId!)).Distinct().ToList();

    /// <summary>The documents, or the first service that did not answer one.</summary>
    public async Task<(IReadOnlyList<PublicDocumentMerger.ServiceDocument>? Documents, string? Unavailable)> FetchAllAsync(CancellationToken cancellationToken)
    {
        var fetches = Services.Select(s => (Service: s, Task: FetchAsync(s, cancellationToken))).ToList();
        var documents = new List<PublicDocumentMerger.ServiceDocument>();
        foreach (var (service, task) in fetches)
        {
            var document = await task;
            if (document is null)
            {
                return (null, service);
            }
            documents.Add(new(service, document));
        }
        return (documents, null);
    }

    private async Task<JsonObject?> FetchAsync(string service, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{service}{Microsoft.Extensions.Hosting.ApiDocument.Path}");
            request.Headers.TryAddWithoutValidation(TenantContextHeaders.Context, keys.Mint(ControlPlaneKeyResolver.GatewayIdentity, service));
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonNode.ParseAsync(body, cancellationToken: cancellationToken) as JsonObject;
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or TaskCanceledException or OperationCanceledException)
        {
            return null;
        }
    }
}
