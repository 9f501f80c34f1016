using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCloud.InferenceRouter.Tests.Hosting;

/// <summary>What one call to a <see cref="StubUpstream"/> carried: its body, its headers and its query string.</summary>
public sealed record ReceivedCall(JsonObject Body, IReadOnlyDictionary<string, string> Headers, string Query);

/// <summary>
/// A minimal OpenAI-shaped upstream on 127.0.0.1 that records every call it receives, for asserting on what the router
/// sent a provider that is not our simulator. It answers as a provider would (its own model name in <c>model</c>, a usage
/// report, a stream of chunks when asked), or with a fixed failure status.
/// </summary>
public sealed class StubUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    /// <param name="failWith">A status to answer every call with (0: answer properly).</param>
    /// <param name="hang">Never answer: the call waits until the caller gives up.</param>
    public StubUpstream(int failWith = 0, bool hang = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            var body = (JsonObject)(await JsonNode.ParseAsync(http.Request.Body))!;
            Received.Enqueue(new ReceivedCall(body, http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), http.Request.QueryString.Value ?? ""));
            if (hang)
            {
                await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }
            if (failWith != 0)
            {
                http.Response.StatusCode = failWith;
                await http.Response.WriteAsync("""{"error":{"message":"overloaded","type":"server_error"}}""");
                return;
            }
            var model = body["model"]!.GetValue<string>();
            var usage = new JsonObject { ["prompt_tokens"] = 9, ["completion_tokens"] = 3, ["total_tokens"] = 12 };
            if (body["stream"]?.GetValue<bool>() == true)
            {
                http.Response.ContentType = "text/event-stream";
                foreach (var piece in new[] { "Hello", " there", "." })
                {
                    var chunk = new JsonObject { ["id"] = "c1", ["object"] = "chat.completion.chunk", ["model"] = model,
                        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = piece } }) };
                    await http.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n");
                }
                var last = new JsonObject { ["id"] = "c1", ["object"] = "chat.completion.chunk", ["model"] = model, ["choices"] = new JsonArray(), ["usage"] = usage };
                await http.Response.WriteAsync($"data: {last.ToJsonString()}\n\ndata: [DONE]\n\n");
                return;
            }
            await http.Response.WriteAsJsonAsync(new JsonObject
            {
                ["id"] = "c1", ["object"] = "chat.completion", ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["finish_reason"] = "stop",
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "Hello there." } }),
                ["usage"] = usage,
            });
        });
        _app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/v1";
    }

    public string BaseUrl { get; }

    public ConcurrentQueue<ReceivedCall> Received { get; } = new();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
