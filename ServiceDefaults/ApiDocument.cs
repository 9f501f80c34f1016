using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A service's OpenAPI document at <c>/openapi/v1.json</c>, for the Gateway to merge: the Gateway fetches it with a
/// signed operator context (the service's tenant-context check applies as to any call) and keeps only the paths it
/// routes. Internal APIs are left out here already, so their shape is never in a document.
/// </summary>
public static class ApiDocument
{
    public const string Path = "/openapi/v1.json";

    /// <param name="builder">The service.</param>
    /// <param name="describe">What the service adds that endpoint metadata cannot say (e.g. a protocol endpoint).</param>
    public static TBuilder AddApiDocument<TBuilder>(this TBuilder builder, Action<Microsoft.AspNetCore.OpenApi.OpenApiOptions>? describe = null)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOpenApi(o =>
        {
            o.ShouldInclude = d => d.RelativePath is not { } path || !path.StartsWith("internal/", StringComparison.OrdinalIgnoreCase);
            describe?.Invoke(o);
        });
        return builder;
    }

    public static IEndpointConventionBuilder MapApiDocument(this WebApplication app) => app.MapOpenApi(Path);
}
