using System.Net;
using System.Text.Json.Nodes;
using AgentCloud.Gateway.Docs;
using AgentCloud.Gateway.Proxy;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// The running platform's public API document, as the Gateway merges it from the services' own: every route of the
/// Gateway's table is documented, every documented operation is one the Gateway routes (or serves itself), and nothing
/// internal is published. The reference at /docs answers without a key.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ApiReferenceEndToEndTests(PlatformFixture platform)
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    private async Task<(JsonObject Document, string Text)> PublicDocumentAsync()
    {
        using var client = platform.Gateway();
        // A service's first document is generated on the first ask; while one is not ready the answer is 503 with
        // Retry-After, which a client honours (a bounded number of times).
        for (var attempt = 1; ; attempt++)
        {
            var response = await client.GetAsync(DocsApi.DocumentPath);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 4 && response.Headers.RetryAfter?.Delta is { } wait)
            {
                Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
                await Task.Delay(wait);
                continue;
            }
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
            return (JsonNode.Parse(text)!.AsObject(), text);
        }
    }

    private static List<(string Path, string Method)> Operations(JsonObject document) =>
        [.. document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()
            .Where(o => Methods.Contains(o.Key))
            .Select(o => (p.Key, o.Key.ToUpperInvariant())))];

    [Fact]
    public async Task Every_routed_service_answers_its_own_document_to_a_signed_context_only()
    {
        var signingKey = TenantContextSigningKey.FromSeed(AppHostArgs.SigningSeed);
        foreach (var service in ServiceDocumentFetcher.Services)
        {
            using var client = platform.App.CreateHttpClient(service, "http");
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(Microsoft.Extensions.Hosting.ApiDocument.Path)).StatusCode);

            using var request = new HttpRequestMessage(HttpMethod.Get, Microsoft.Extensions.Hosting.ApiDocument.Path);
            request.Headers.TryAddWithoutValidation(TenantContextHeaders.Context,
                TestTenantContexts.Mint(TestTenantContexts.Operator, key: signingKey, audiences: [service]));
            var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{service}: {response.StatusCode}: {text}");
            Assert.DoesNotContain("/internal/", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_route_of_the_gateway_is_documented()
    {
        var (document, _) = await PublicDocumentAsync();
        var operations = Operations(document);

        var undocumented = ProxyRoutes.Routes
            .Where(r => !operations.Any(o => RoutedPaths.Matches(r.Match.Path!, o.Path)
                && (r.Match.Methods is null || r.Match.Methods.Contains(o.Method))))
            .Select(r => r.Match.Path)
            .ToList();
        Assert.Empty(undocumented);
        Assert.All(GatewayOwnDocument.PublicPaths, p => Assert.Contains(operations, o => o.Path == p));
    }

    [Fact]
    public async Task Every_documented_operation_is_routed_and_nothing_internal_is_published()
    {
        var (document, text) = await PublicDocumentAsync();

        var unrouted = Operations(document)
            .Where(o => !RoutedPaths.IsRouted(o.Path, o.Method) && !GatewayOwnDocument.PublicPaths.Contains(o.Path))
            .ToList();
        Assert.Empty(unrouted);
        Assert.DoesNotContain("/internal/", text, StringComparison.Ordinal);
        Assert.DoesNotContain("/health", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dashboard_links_the_gateway_to_its_api_reference_and_document()
    {
        var gateway = PlatformReplicas.Snapshot(platform.App, (await PlatformReplicas.OfAsync(platform.App, "gateway"))[0]);
        var urls = gateway.Urls.ToDictionary(u => u.DisplayProperties.DisplayName, u => u.Url);
        using var client = platform.Gateway();

        Assert.EndsWith("/docs/", urls["API reference"], StringComparison.Ordinal);
        Assert.EndsWith("/openapi/v1.json", urls["OpenAPI document"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(urls["API reference"]))).StatusCode);
        Assert.Contains("Gateway", urls.Keys);
    }

    [Fact]
    public async Task The_documented_jwks_is_served_and_the_reference_answers_without_a_key()
    {
        using var client = platform.Gateway();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(GatewayOwnDocument.PublicPaths[0])).StatusCode);
        var docs = await client.GetAsync(DocsApi.ReferencePath + "/");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("scalar.js", await docs.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
