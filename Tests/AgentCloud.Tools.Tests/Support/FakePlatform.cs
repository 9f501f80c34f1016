using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentCloud.Tools.Tests.Support;

/// <summary>
/// The platform services behind the Tools service, on a real loopback port: the ControlPlane's reveal endpoint (which,
/// like the real one, checks the injector key and answers only for the tenant of the verified context), Memory and the
/// SandboxBroker (echoing who asked), and an HTTP endpoint that echoes request headers, for <c>http.fetch</c>.
/// </summary>
public sealed class FakePlatform : IAsyncDisposable
{
    public const string InjectionKey = "test-tool-injection-key-0123456789abcdef";

    private readonly WebApplication _app;

    /// <summary>(tenant, integration) → secret, as the vault holds them.</summary>
    public ConcurrentDictionary<(string Tenant, string Integration), string> Vault { get; } = new();

    /// <summary>Every call's path, verified tenant and headers, as received.</summary>
    public ConcurrentQueue<(string Path, string? Tenant, Dictionary<string, string> Headers)> Received { get; } = new();

    public string Url { get; }

    private FakePlatform(WebApplication app, string url) => (_app, Url) = (app, url);

    public static async Task<FakePlatform> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakePlatform? self = null;
        app.Use(async (http, next) =>
        {
            var tenant = await TenantOfAsync(http);
            self!.Received.Enqueue((http.Request.Path, tenant, http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));
            http.Items["tenant"] = tenant;
            await next(http);
        });
        app.MapPost("/internal/v1/credentials/{integration}/reveal", (string integration, HttpContext http) =>
        {
            if (http.Items["tenant"] is not string tenant || http.Request.Headers["x-agentcloud-injector"] != InjectionKey)
            {
                return Results.Problem(statusCode: 403);
            }
            return self!.Vault.TryGetValue((tenant, integration), out var secret)
                ? Results.Ok(new { integration, secret })
                : Results.Problem(statusCode: 404);
        });
        app.MapPost("/v1/memory/{collection}/search", (Delegate)Echo);
        app.MapPut("/v1/memory/{collection}/points", (Delegate)Echo);
        app.MapPost("/v1/sandboxes/{id}/exec", (Delegate)Echo);
        app.MapGet("/echo", (HttpContext http) => Results.Json(http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString())));
        await app.StartAsync();
        self = new FakePlatform(app, app.Urls.Single());
        return self;
    }

    private static async Task<IResult> Echo(HttpContext http)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        return Results.Json(new { tenant = http.Items["tenant"], path = http.Request.Path.Value, body });
    }

    private static async Task<string?> TenantOfAsync(HttpContext http)
    {
        var token = http.Request.Headers[TenantContextHeaders.Context].ToString();
        if (token.Length == 0)
        {
            return null;
        }
        var result = await TenantContextToken.ValidateAsync(token, TenantContextToken.ValidationParameters([TestTenantContexts.Key], AgentCloud.Platform.Contracts.ServiceNames.Memory));
        return result.IsValid ? TenantContextToken.FromClaims(result.ClaimsIdentity)?.TenantId : null;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
