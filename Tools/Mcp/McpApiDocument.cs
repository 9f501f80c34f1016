using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentCloud.Tools.Mcp;

/// <summary>
/// Describes <c>/v1/mcp</c> in the service's OpenAPI document: the MCP SDK maps it as a protocol endpoint that endpoint
/// metadata does not describe. Stateless Streamable HTTP: each JSON-RPC message is one POST.
/// </summary>
public static class McpApiDocument
{
    public static void Describe(OpenApiOptions options) => options.AddDocumentTransformer((document, _, _) =>
    {
        document.Paths ??= [];
        document.Paths[McpGateway.Path] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Post] = new()
                {
                    Summary = "MCP over Streamable HTTP (stateless)",
                    Description = "One JSON-RPC message per POST (`initialize`, `tools/list`, `tools/call`); send " +
                        "`Accept: application/json, text/event-stream`. `tools/list` shows the tenant's allowlist intersected " +
                        "with the key's `tool:<name>` capabilities; a `tools/call` of anything else is 403 problem+json.",
                    RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } } },
                    },
                    Responses = new OpenApiResponses
                    {
                        ["200"] = new OpenApiResponse
                        {
                            Description = "The JSON-RPC answer, as JSON or as one server-sent event",
                            Content = new Dictionary<string, OpenApiMediaType>
                            {
                                ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } },
                                ["text/event-stream"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                            },
                        },
                        ["403"] = new OpenApiResponse { Description = "The key may not use the tool called (problem+json)" },
                    },
                },
            },
        };
        return Task.CompletedTask;
    });
}
