using System.Text.Json.Nodes;
using AgentCloud.Gateway.Docs;
using AgentCloud.Gateway.Proxy;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.Gateway.Tests;

/// <summary>The pure rules of the public document: which documented operations are routed, and how documents merge.</summary>
public sealed class DocumentMergeRuleTests
{
    [Theory]
    [InlineData("/v1/models/{**rest}", "/v1/models", true)]
    [InlineData("/v1/models/{**rest}", "/v1/models/{id}", true)]
    [InlineData("/v1/memory/{collection}/search", "/v1/memory/{collection}/search", true)]
    [InlineData("/v1/memory/{collection}/search", "/v1/memory/{collection}/points", false)]
    [InlineData("/admin/v1/audit", "/admin/v1/audit/", true)]
    [InlineData("/admin/v1/audit", "/admin/v1/audit/{id}", false)]
    [InlineData("/v1/usage", "/internal/v1/usage", false)]
    public void A_documented_path_matches_a_route_template_segment_by_segment(string template, string path, bool matches) =>
        Assert.Equal(matches, RoutedPaths.Matches(template, path));

    [Fact]
    public void An_operation_is_public_only_when_routed_to_the_service_that_documents_it()
    {
        Assert.True(PublicDocumentCache.IsPublic("sandbox-broker", "/v1/sandboxes/{id}", "GET"));
        Assert.True(PublicDocumentCache.IsPublic("sandbox-broker", "/admin/v1/sandboxes", "GET"));
        Assert.True(PublicDocumentCache.IsPublic("memory", "/v1/memory", "GET"));
        Assert.True(PublicDocumentCache.IsPublic("controlplane", "/v1/credentials", "GET"));
        Assert.False(PublicDocumentCache.IsPublic("memory", "/v1/sandboxes/{id}", "GET"));
        Assert.False(PublicDocumentCache.IsPublic("controlplane", "/internal/v1/keys/resolve", "POST"));
        Assert.True(PublicDocumentCache.IsPublic("gateway", "/.well-known/jwks.json", "GET"));
        Assert.False(PublicDocumentCache.IsPublic("gateway", "/openapi/v1.json", "GET"));
    }

    [Fact]
    public void Documents_are_asked_of_services_never_of_a_cluster_alias_and_a_long_running_route_is_its_services()
    {
        Assert.All(ServiceDocumentFetcher.Services, s => Assert.Contains(s, ServiceNames.All));
        Assert.True(RoutedPaths.IsRoutedTo(ServiceNames.SandboxBroker, "/v1/sandboxes/{id}/exec", "POST"));
    }

    [Fact]
    public void Types_two_services_name_alike_but_define_differently_are_kept_apart()
    {
        static JsonObject Doc(string path, string type) => JsonNode.Parse($$"""
            { "paths": { "{{path}}": { "get": { "responses": { "200": { "description": "OK", "content": { "application/json":
              { "schema": { "$ref": "#/components/schemas/Item" } } } } } } } },
              "components": { "schemas": { "Item": { "type": "{{type}}" } } } }
            """)!.AsObject();

        var merged = PublicDocumentMerger.Merge(
            [new("a", Doc("/a", "string")), new("b", Doc("/b", "integer"))], (_, _, _) => true, new JsonObject());

        var schemas = merged["components"]!["schemas"]!.AsObject();
        Assert.Equal("string", schemas["Item"]!["type"]!.GetValue<string>());
        Assert.Equal("integer", schemas["b.Item"]!["type"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/b.Item",
            merged["paths"]!["/b"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
    }
}
