using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AgentCloud.Memory.Domain;
using AgentCloud.Memory.Embeddings;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentCloud.Memory.Tests;

/// <summary>The embedder against a stand-in router: what it sends (the caller's context, model, inputs) and how it maps answers.</summary>
public sealed class RouterTextEmbedderTests
{
    private const string CallerToken = "caller-signed-context";

    [Fact]
    public async Task Texts_are_sent_with_the_callers_own_context_and_the_configured_model()
    {
        var router = new StubRouter(HttpStatusCode.OK, """{"data":[{"embedding":[0,1],"index":1},{"embedding":[1,0],"index":0}],"usage":{"prompt_tokens":4}}""");

        var vectors = await Embedder(router, "sim-large").EmbedAsync(["first", "second"], CancellationToken.None);

        Assert.Equal(CallerToken, router.ContextHeader);
        Assert.Equal("/v1/embeddings", router.Path);
        var sent = JsonNode.Parse(router.Body!)!;
        Assert.Equal("sim-large", (string?)sent["model"]);
        Assert.Equal(["first", "second"], sent["input"]!.AsArray().Select(n => (string)n!));
        Assert.Equal([1f, 0f], vectors[0]);
        Assert.Equal([0f, 1f], vectors[1]);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, 429)]
    [InlineData(HttpStatusCode.Forbidden, 403)]
    [InlineData(HttpStatusCode.InternalServerError, 502)]
    public async Task Router_refusals_reach_the_caller_and_router_failures_are_bad_gateway(HttpStatusCode routerStatus, int expected)
    {
        var router = new StubRouter(routerStatus, """{"type":"x","title":"t","status":0,"detail":"monthly token quota exhausted"}""");

        var e = await Assert.ThrowsAsync<MemoryException>(() => Embedder(router, "sim-small").EmbedAsync(["x"], CancellationToken.None));

        Assert.Equal(expected, e.Status);
        Assert.Contains("monthly token quota exhausted", e.Message);
    }

    [Fact]
    public async Task A_router_that_does_not_answer_is_service_unavailable()
    {
        var router = new StubRouter(HttpStatusCode.OK, "") { Fail = true };

        var e = await Assert.ThrowsAsync<MemoryException>(() => Embedder(router, "sim-small").EmbedAsync(["x"], CancellationToken.None));

        Assert.Equal(503, e.Status);
    }

    private static RouterTextEmbedder Embedder(StubRouter router, string model)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers[TenantContextHeaders.Context] = CallerToken;
        return new RouterTextEmbedder(new StubClients(router), new HttpContextAccessor { HttpContext = http },
            Options.Create(new MemoryOptions { EmbeddingModel = model }), NullLogger<RouterTextEmbedder>.Instance);
    }

    private sealed class StubRouter(HttpStatusCode status, string answer) : HttpMessageHandler
    {
        public bool Fail { get; init; }
        public string? ContextHeader { get; private set; }
        public string? Path { get; private set; }
        public string? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Fail)
            {
                throw new HttpRequestException("connection refused");
            }
            ContextHeader = request.Headers.GetValues(TenantContextHeaders.Context).Single();
            Path = request.RequestUri!.AbsolutePath;
            Body = await request.Content!.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(status) { Content = new StringContent(answer, Encoding.UTF8, "application/json") };
        }
    }

    private sealed class StubClients(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false) { BaseAddress = new Uri("http://inference-router") };
    }
}
