using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

/// <summary>
/// The cheapest proxy this host can run: Kestrel in, one pooled HttpClient out, the body copied both ways, nothing
/// decided. Any router pays at least this second hop, so <c>plain hop ÷ direct</c> is the ceiling of <c>router ÷
/// direct</c> on this machine, and <c>router ÷ plain hop</c> is what the router's own work costs.
/// </summary>
internal sealed class PlainHop : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;

    private PlainHop(WebApplication app, HttpClient upstream) => (_app, _upstream) = (app, upstream);

    public string BaseUrl => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<PlainHop> StartAsync(string upstreamBaseUrl, string upstreamKey)
    {
        var upstream = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = int.MaxValue })
        {
            BaseAddress = new Uri(upstreamBaseUrl.TrimEnd('/') + "/"),
        };
        upstream.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", upstreamKey);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = new StreamContent(http.Request.Body) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(http.Request.ContentType ?? "application/json");
            using var response = await upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
            http.Response.StatusCode = (int)response.StatusCode;
            http.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await response.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
        });
        await app.StartAsync();
        return new PlainHop(app, upstream);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
