using System.Globalization;
using AgentCloud.Platform;
using Scalar.AspNetCore;

namespace AgentCloud.Gateway.Docs;

/// <summary>
/// The public API's documentation, served without a key: the merged OpenAPI document and the Scalar reference that reads
/// it. Scalar's script is served from the package (no CDN, no web fonts, no telemetry), so <c>/docs</c> works air-gapped.
/// </summary>
public static class DocsApi
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/docs";

    public static void MapPublicApiDocs(this WebApplication app)
    {
        app.MapGet(DocumentPath, GetDocumentAsync).ExcludeFromDescription().RequireRateLimiting(DocsRateLimit.PolicyName);
        app.MapScalarApiReference(ReferencePath, o =>
        {
            o.WithTitle("AgentCloud API").WithOpenApiRoutePattern(DocumentPath).DisableDefaultFonts();
            o.Telemetry = false;
            // The key a reader tries calls with stays in the page, never in the browser's storage.
            o.PersistentAuthentication = false;
        }).RequireRateLimiting(DocsRateLimit.PolicyName);
    }

    public static async Task GetDocumentAsync(HttpContext http, PublicDocumentCache cache, TimeProvider time)
    {
        var entry = await cache.GetAsync(http.RequestAborted);
        if (entry.Json is null)
        {
            var wait = Math.Max(1, (int)Math.Ceiling((entry.Expires - time.GetUtcNow()).TotalSeconds));
            http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
            await Problems.Create(StatusCodes.Status503ServiceUnavailable, "api-docs-unavailable", "API document unavailable",
                $"A service did not answer its part of the API document; retry in {wait.ToString(CultureInfo.InvariantCulture)} s.").ExecuteAsync(http);
            return;
        }
        http.Response.Headers.ETag = entry.ETag;
        http.Response.Headers.CacheControl = "public, max-age=60";
        if (http.Request.Headers.IfNoneMatch == entry.ETag)
        {
            http.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.ContentLength = entry.Json.Length;
        await http.Response.Body.WriteAsync(entry.Json, http.RequestAborted);
    }
}
