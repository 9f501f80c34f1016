using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCloud.Tests.Shared;

/// <summary>
/// A tenant's webhook endpoint: Kestrel on 127.0.0.1 at a random port, recording every request (headers and exact body)
/// and answering the scripted status codes in turn (200 once the script is used up).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Received(string? AlertId, string? Timestamp, string? Signature, byte[] Body)
    {
        /// <summary>The receiver's check, as README shows it: HMAC-SHA256 of "{timestamp}.{body}" with the secret, compared in constant time.</summary>
        public bool SignedWith(string secret)
        {
            var signed = Encoding.UTF8.GetBytes(Timestamp + ".").Concat(Body).ToArray();
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
            return Signature is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(Signature));
        }
    }

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _script;

    public ConcurrentQueue<Received> Requests { get; } = new();

    public string Url { get; private set; } = "";

    /// <summary>While not completed, every request is held before it is answered (a slow receiver).</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WebhookReceiver(IEnumerable<int> script, bool gated)
    {
        if (!gated)
        {
            Gate.SetResult();
        }
        _script = new ConcurrentQueue<int>(script);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/hooks/agentcloud", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            Requests.Enqueue(new Received(http.Request.Headers["X-AgentCloud-Alert-Id"], http.Request.Headers["X-AgentCloud-Timestamp"],
                http.Request.Headers["X-AgentCloud-Signature"], body.ToArray()));
            await Gate.Task;
            return Results.StatusCode(_script.TryDequeue(out var status) ? status : 200);
        });
    }

    public static Task<WebhookReceiver> StartAsync(params int[] script) => StartAsync(gated: false, script);

    public static async Task<WebhookReceiver> StartAsync(bool gated, params int[] script)
    {
        var receiver = new WebhookReceiver(script, gated);
        await receiver._app.StartAsync();
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = address.TrimEnd('/') + "/hooks/agentcloud";
        return receiver;
    }

    public IReadOnlyList<Received> For(string alertId) => Requests.Where(r => r.AlertId == alertId).ToList();

    public async ValueTask DisposeAsync()
    {
        Gate.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
