using System.Text.Json.Nodes;
using AgentCloud.Gateway.Apis;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentCloud.Gateway.Docs;

/// <summary>The OpenAPI document of the Gateway's own public endpoints (the JWKS), answered without a key.</summary>
public sealed class GatewayOwnDocument([FromKeyedServices(GatewayOwnDocument.DocumentName)] IOpenApiDocumentProvider provider)
{
    public const string ServiceName = "gateway";
    public const string DocumentName = "gateway";

    /// <summary>The Gateway's own endpoints that are part of the public API.</summary>
    public static IReadOnlyList<string> PublicPaths { get; } = [JwksApi.Path];

    public static void Configure(OpenApiOptions options) =>
        options.ShouldInclude = d => PublicPaths.Contains("/" + d.RelativePath, StringComparer.Ordinal);

    public async Task<JsonObject> GetAsync(CancellationToken cancellationToken)
    {
        var document = await provider.GetOpenApiDocumentAsync(cancellationToken);
        var json = await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, cancellationToken);
        var node = JsonNode.Parse(json) as JsonObject ?? [];
        foreach (var (_, item) in node["paths"] as JsonObject ?? [])
        {
            foreach (var (_, operation) in item as JsonObject ?? [])
            {
                if (operation is JsonObject o)
                {
                    o["security"] = new JsonArray(); // no key needed
                }
            }
        }
        return node;
    }
}
