using System.Net;
using AgentCloud.Platform.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCloud.Bench.Gateway;

/// <summary>
/// The upstream every path of the benchmark ends at (a fixed <c>/v1/models</c> list), plus a stand-in for the
/// ControlPlane's key resolution that knows the benchmark keys. Both on random loopback ports.
/// </summary>
internal static class TrivialUpstream
{
    public const string ModelsJson = """{"object":"list","data":[{"id":"sim-small","object":"model","owned_by":"agentcloud"},{"id":"sim-large","object":"model","owned_by":"agentcloud"}]}""";

    public static async Task<(WebApplication App, string Url)> StartModelsAsync()
    {
        var app = Slim();
        app.MapGet("/v1/models", () => Results.Text(ModelsJson, "application/json"));
        return (app, await StartAsync(app));
    }

    public static async Task<(WebApplication App, string Url)> StartKeyResolverAsync(IReadOnlyDictionary<string, ResolvedKey> keys, Action? onLookup = null)
    {
        var app = Slim();
        app.MapPost("/internal/v1/keys/resolve", (ResolveKeyRequest request) =>
        {
            onLookup?.Invoke();
            return keys.TryGetValue(request.Key, out var resolved) ? Results.Ok(resolved) : Results.NotFound();
        });
        return (app, await StartAsync(app));
    }

    private static WebApplication Slim() => SlimBuilder().Build();

    /// <summary>A slim host on a random loopback port that logs nothing (the bare proxy adds its forwarder to it).</summary>
    public static WebApplicationBuilder SlimBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        return builder;
    }

    /// <summary>Starts the host; its address.</summary>
    public static async Task<string> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }
}
