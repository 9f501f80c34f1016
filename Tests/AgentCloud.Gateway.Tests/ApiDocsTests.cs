using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// <c>/openapi/v1.json</c> and <c>/docs</c> are answered without a key, publish only what the Gateway routes to each
/// service (never an internal path or an internal type), cost the services one fetch per cache period however many
/// anonymous callers ask, and answer 503 problem+json with Retry-After while a service is away.
/// </summary>
public sealed partial class ApiDocsTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IAsyncLifetime
{
    private DocumentUpstream _documents = null!;

    public async Task InitializeAsync() => _documents = await DocumentUpstream.StartAsync();

    public async Task DisposeAsync() => await _documents.DisposeAsync();

    private GatewayFactory NewGateway(Dictionary<string, string?>? extra = null)
    {
        var settings = ServiceNames.All.ToDictionary(s => $"Services:{s}:http:0", string? (_) => _documents.Url);
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }
        return env.NewGateway(settings);
    }

    [Fact]
    public async Task The_public_document_keeps_only_what_the_gateway_routes_to_each_service()
    {
        using var gateway = NewGateway();
        using var client = gateway.Client();

        var response = await client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var document = JsonNode.Parse(text)!.AsObject();
        var paths = document["paths"]!.AsObject().Select(p => p.Key).Order().ToList();
        Assert.Equal(["/.well-known/jwks.json", "/v1/memory/{collection}/search", "/v1/sandboxes/{id}"], paths);
        // Kept with what they reference, transitively; the internal call's type is not published at all.
        var schemas = document["components"]!["schemas"]!.AsObject().Select(s => s.Key).Order().ToList();
        Assert.Equal(["Hits", "Owner", "Sandbox"], schemas);
        Assert.DoesNotContain("internal", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("vaultSecret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("/v1/unrouted", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_services_are_asked_with_a_signed_context_and_not_with_the_callers_key()
    {
        using var gateway = NewGateway();
        using var client = gateway.Client("ak_live_someone_elses_key_0123456789abcdef");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json")).StatusCode);

        Assert.Equal(ServiceNames.All.Count, _documents.Contexts.Count);
        Assert.All(_documents.Contexts, c => Assert.False(string.IsNullOrEmpty(c)));
        // The Gateway's own identity, never the operator's: a document fetch needs no power over tenants.
        Assert.All(_documents.Contexts, c =>
        {
            var payload = c!.Split('.')[1].Replace('-', '+').Replace('_', '/');
            var claims = System.Text.Json.Nodes.JsonNode.Parse(Convert.FromBase64String(payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=')))!;
            var caps = claims["caps"]!.ToJsonString();
            Assert.Contains(AgentCloud.Platform.Tenancy.TenantContext.GatewayCapability, caps);
            Assert.DoesNotContain(AgentCloud.Platform.Tenancy.TenantContext.AdminCapability, caps);
        });
    }

    [Fact]
    public async Task Many_anonymous_callers_cost_the_services_one_fetch_per_cache_period()
    {
        using var gateway = NewGateway();
        using var client = gateway.Client();

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.GetAsync("/openapi/v1.json")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(ServiceNames.All.Count, _documents.Calls);
        var etag = answers[0].Headers.ETag;
        Assert.NotNull(etag);
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        conditional.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(conditional)).StatusCode);
    }

    [Fact]
    public async Task A_service_that_is_away_gives_503_with_retry_after_and_is_not_asked_again_within_it()
    {
        using var gateway = NewGateway(new() { ["Services:memory:http:0"] = $"http://127.0.0.1:{LocalProcess.FreePort()}", ["ApiDocs:RetryAfter"] = "00:01:00" });
        using var client = gateway.Client();

        var first = await client.GetAsync("/openapi/v1.json");
        await Problem.AssertAsync(first, HttpStatusCode.ServiceUnavailable, "retry");
        Assert.InRange(first.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        var asked = _documents.Calls;

        for (var i = 0; i < 10; i++)
        {
            await Problem.AssertAsync(await client.GetAsync("/openapi/v1.json"), HttpStatusCode.ServiceUnavailable);
        }
        Assert.Equal(asked, _documents.Calls);
    }

    [Fact]
    public async Task The_reference_is_served_without_a_key_and_loads_nothing_from_outside_the_gateway()
    {
        using var gateway = NewGateway();
        using var client = gateway.Client();

        var page = await client.GetAsync("/docs");
        if (page.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.MovedPermanently)
        {
            page = await client.GetAsync(page.Headers.Location);
        }

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        // Scalar resolves the document's path against the site's root (the page's path less /docs/).
        Assert.Contains("\"url\":\"openapi/v1.json\"", html, StringComparison.Ordinal);
        var sources = SourceAttribute().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.NotEmpty(sources);
        Assert.All(sources, s => Assert.DoesNotMatch("^(https?:)?//", s));
        Assert.DoesNotContain("fonts.scalar.com", html, StringComparison.OrdinalIgnoreCase);
        var sizes = new Dictionary<string, int>();
        foreach (var script in sources)
        {
            using var scriptRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(gateway.Address, "/docs/"), script));
            scriptRequest.Headers.AcceptEncoding.ParseAdd("gzip");
            var js = await client.SendAsync(scriptRequest);
            Assert.Equal(HttpStatusCode.OK, js.StatusCode);
            sizes[script] = (await js.Content.ReadAsByteArrayAsync()).Length;
            // Precompressed, and revalidated by ETag rather than sent again.
            Assert.Equal(["gzip"], js.Content.Headers.ContentEncoding);
            Assert.NotNull(js.Headers.ETag);
        }
        // The whole reference application comes from the Gateway, not a CDN.
        Assert.True(sizes.GetValueOrDefault("scalar.js") > 500_000, $"scalar.js is the bundled application ({sizes.GetValueOrDefault("scalar.js")} bytes)");
    }

    [Fact]
    public async Task An_address_asking_for_the_docs_too_often_gets_429_with_retry_after()
    {
        using var gateway = NewGateway(new() { ["ApiDocs:RequestsPerMinute"] = "5" });
        using var client = gateway.Client();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(i % 2 == 0 ? "/openapi/v1.json" : "/docs/")).StatusCode);
        }
        var refused = await client.GetAsync("/docs/scalar.js");

        await Problem.AssertAsync(refused, HttpStatusCode.TooManyRequests, "API documentation");
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(ServiceNames.All.Count, _documents.Calls);
    }

    [Fact]
    public async Task A_path_the_gateway_does_not_serve_points_to_the_reference()
    {
        var (_, key) = env.ControlPlane.AddKey("lost");
        using var gateway = NewGateway(new() { ["Services:controlplane:http:0"] = env.ControlPlane.Url });
        using var client = gateway.Client(key);

        await Problem.AssertAsync(await client.GetAsync("/nothing-here"), HttpStatusCode.NotFound, "/docs");
    }

    [GeneratedRegex("""<script[^>]*\ssrc\s*=\s*["'](?<url>[^"']+)["']""", RegexOptions.IgnoreCase)]
    private static partial Regex SourceAttribute();
}
