using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCloud.Gateway.Tests;

/// <summary>What the upstream saw of one forwarded call.</summary>
public sealed record SeenRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] BodySha256, long BodyLength);

/// <summary>
/// Stands in for every service behind the Gateway: records what it receives and answers 200 with a small JSON body,
/// or stays silent on <c>/v1/sandboxes/slow</c> so timeouts can be seen.
/// </summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    public const string TokensHeader = "x-ratelimit-remaining-tokens";
    private WebApplication? _app;

    public string Url { get; private set; } = "";

    public ConcurrentQueue<SeenRequest> Seen { get; } = new();

    public static async Task<EchoUpstream> StartAsync()
    {
        var echo = new EchoUpstream();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.Run(async http =>
        {
            if (http.Request.Path == "/v1/sandboxes/slow")
            {
                await Task.Delay(TimeSpan.FromSeconds(30), http.RequestAborted);
            }
            if (http.Request.Path == "/v1/sandboxes/slow/exec")
            {
                // Longer than the short default idle timeout tests set, far below the exec route's own.
                await Task.Delay(TimeSpan.FromSeconds(3), http.RequestAborted);
            }
            if (http.Request.Path == "/v1/sandboxes/streaming/exec" || http.Request.Path == "/v1/sandboxes/streaming/processes/1/logs")
            {
                await echo.StreamAsync(http);
                return;
            }
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            long length = 0;
            int read;
            while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                length += read;
            }
            var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            echo.Seen.Enqueue(new SeenRequest(http.Request.Method, http.Request.Path.Value ?? "", headers, sha.GetHashAndReset(), length));
            http.Response.Headers[TokensHeader] = "12345";
            // A test asks the stand-in service to announce revoked keys, as the SandboxBroker does on a sandbox delete.
            if (http.Request.Headers.TryGetValue("x-test-announce-revoked", out var revoked))
            {
                http.Response.Headers["x-agentcloud-revoked-keys"] = revoked.ToString();
            }
            await http.Response.WriteAsJsonAsync(new { path = http.Request.Path.Value, bodyLength = length });
        });
        await app.StartAsync();
        echo._app = app;
        echo.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return echo;
    }

    /// <summary>Completed by a test once it has seen the first event of <c>/v1/sandboxes/streaming/exec</c>; the stream then ends.</summary>
    public TaskCompletionSource ReleaseStream { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>An exec stream as the broker sends it: one event, then nothing until the test releases it, then exit.</summary>
    private async Task StreamAsync(HttpContext http)
    {
        var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        Seen.Enqueue(new SeenRequest(http.Request.Method, http.Request.Path.Value ?? "", headers, [], 0));
        http.Response.ContentType = "text/event-stream";
        await http.Response.WriteAsync("event: stdout\ndata: {\"text\":\"first\\n\"}\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
        await ReleaseStream.Task.WaitAsync(http.RequestAborted);
        await http.Response.WriteAsync("event: exit\ndata: {\"exitCode\":0}\n\n", http.RequestAborted);
    }

    public SeenRequest? LastFor(string path) => Seen.LastOrDefault(s => s.Path == path);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
