using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// Stands in for the services' OpenAPI endpoints: answers every service's <c>/openapi/v1.json</c> with one document that
/// mixes public, internal and other services' paths, and counts the calls and the tenant contexts they carried.
/// </summary>
public sealed class DocumentUpstream : IAsyncDisposable
{
    public const string Document = """
        {
          "openapi": "3.1.1",
          "info": { "title": "a service", "version": "1.0.0" },
          "paths": {
            "/v1/sandboxes/{id}": { "get": { "responses": { "200": { "description": "OK",
              "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Sandbox" } } } } } } },
            "/v1/memory/{collection}/search": { "post": { "responses": { "200": { "description": "OK",
              "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Hits" } } } } } } },
            "/internal/v1/keys/resolve": { "post": { "responses": { "200": { "description": "OK",
              "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ResolvedSecretKey" } } } } } } },
            "/v1/unrouted": { "get": { "responses": { "200": { "description": "OK" } } } }
          },
          "components": { "schemas": {
            "Sandbox": { "type": "object", "properties": { "owner": { "$ref": "#/components/schemas/Owner" } } },
            "Owner": { "type": "string" },
            "Hits": { "type": "array" },
            "ResolvedSecretKey": { "type": "object", "properties": { "vaultSecret": { "type": "string" } } }
          } }
        }
        """;

    private WebApplication? _app;
    private int _calls;

    public string Url { get; private set; } = "";

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The tenant-context headers the fetches carried (null when one carried none).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string?> Contexts { get; } = new();

    public static async Task<DocumentUpstream> StartAsync()
    {
        var upstream = new DocumentUpstream();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(async http =>
        {
            Interlocked.Increment(ref upstream._calls);
            upstream.Contexts.Enqueue(http.Request.Headers.TryGetValue(AgentCloud.Platform.Tenancy.TenantContextHeaders.Context, out var c) ? c.ToString() : null);
            if (http.Request.Path != "/openapi/v1.json")
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(Document);
        });
        await app.StartAsync();
        upstream._app = app;
        upstream.Url = app.Urls.First();
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
