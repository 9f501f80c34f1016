using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>
/// A stand-in for a Kubernetes API server on 127.0.0.1 that answers only the calls the broker makes: the probe's two
/// reads, server-side applies, SandboxClaim create/get/delete (a claim is bound and Ready at once, as if a controller ran),
/// Sandbox get, and pod exec over the v4/v5 channel WebSocket protocol. A "pod" is a folder of this host and its exec a
/// local process started there with the argv the broker sent. It checks the broker's side of the wire (routing, errors,
/// billing, cleanup), never Kubernetes, agent-sandbox, a runtime class or a network policy.
/// </summary>
public sealed class ApiServerDouble : IAsyncDisposable
{
    private const string Claims = "/apis/extensions.agents.x-k8s.io/v1alpha1/namespaces/{ns}/sandboxclaims";

    private readonly WebApplication _app;
    private readonly string _pods = Directory.CreateTempSubdirectory("agentcloud-pods-").FullName;

    private ApiServerDouble(WebApplication app) => _app = app;

    public string Url => _app.Urls.First();

    /// <summary>Live claims by name.</summary>
    public ConcurrentDictionary<string, JsonObject> LiveClaims { get; } = new();

    /// <summary>Every claim ever created: its name and its tenant's hash.</summary>
    public ConcurrentBag<(string Name, string TenantHash)> CreatedClaims { get; } = [];

    /// <summary>Every claim ever deleted, by name.</summary>
    public ConcurrentBag<string> DeletedClaims { get; } = [];

    /// <summary>The full URL (path and query) of every exec: what an API server's audit log would hold.</summary>
    public ConcurrentBag<string> ExecUrls { get; } = [];

    /// <summary>Tenant hashes whose claims misbehave: how the API server answers a claim's GET, or "stuck" (never ready), or "hang" (never answers).</summary>
    public ConcurrentDictionary<string, string> Faults { get; } = new();

    /// <summary>Tenant hashes whose claims' DELETE never answers (until the caller gives up).</summary>
    public ConcurrentDictionary<string, bool> HangingDeletes { get; } = new();

    private string? FaultOf(JsonObject claim) =>
        claim["metadata"]?["labels"]?["agentcloud.dev/tenant-hash"]?.GetValue<string>() is { } hash && Faults.TryGetValue(hash, out var fault) ? fault : null;

    public string PodFolder(string pod) => Path.Combine(_pods, pod);

    public static async Task<ApiServerDouble> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ApiServerDouble(app);
        app.UseWebSockets();
        app.MapGet("/apis/node.k8s.io/v1/runtimeclasses", () => Results.Json(new
        {
            apiVersion = "node.k8s.io/v1", kind = "RuntimeClassList", metadata = new { },
            items = new[] { new { metadata = new { name = "gvisor" }, handler = "runsc" } },
        }));
        // Filtered by a labelSelector of k=v pairs, the only form the broker sends.
        app.MapGet(Claims, (string? labelSelector) => Results.Json(new JsonObject
        {
            ["apiVersion"] = "extensions.agents.x-k8s.io/v1alpha1", ["kind"] = "SandboxClaimList", ["metadata"] = new JsonObject(),
            ["items"] = new JsonArray(server.LiveClaims.Values.Where(c => (labelSelector ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .All(pair => c["metadata"]!["labels"]![pair.Split('=')[0]]?.GetValue<string>() == pair.Split('=')[1])).Select(c => c.DeepClone()).ToArray()),
        }));
        app.MapMethods("/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}", ["PATCH"], async (HttpRequest request) =>
            Results.Text(await new StreamReader(request.Body).ReadToEndAsync(), "application/json"));
        app.MapPost(Claims, async (HttpRequest request) =>
        {
            var claim = (await JsonNode.ParseAsync(request.Body))!.AsObject();
            var name = claim["metadata"]!["name"]!.GetValue<string>();
            var pod = name + "-pod";
            Directory.CreateDirectory(server.PodFolder(pod));
            claim["status"] = server.FaultOf(claim) == "stuck" ? new JsonObject() : new JsonObject
            {
                ["sandbox"] = new JsonObject { ["name"] = name + "-sbx" },
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }),
            };
            if (!server.LiveClaims.TryAdd(name, claim))
            {
                return Status(409, "AlreadyExists");
            }
            server.CreatedClaims.Add((name, claim["metadata"]?["labels"]?["agentcloud.dev/tenant-hash"]?.GetValue<string>() ?? ""));
            return Results.Json(claim, statusCode: 201);
        });
        app.MapGet(Claims + "/{name}", async (string name, CancellationToken aborted) =>
        {
            if (!server.LiveClaims.TryGetValue(name, out var claim))
            {
                return Status(404, "NotFound");
            }
            switch (server.FaultOf(claim))
            {
                case "hang":
                    await Task.Delay(Timeout.Infinite, aborted);
                    break;
                case { } code when int.TryParse(code, out var status):
                    return Status(status, "InternalError");
            }
            return Results.Json(claim);
        });
        app.MapDelete(Claims + "/{name}", async (string name, CancellationToken aborted) =>
        {
            if (server.LiveClaims.TryGetValue(name, out var hanging)
                && hanging["metadata"]?["labels"]?["agentcloud.dev/tenant-hash"]?.GetValue<string>() is { } hash && server.HangingDeletes.ContainsKey(hash))
            {
                await Task.Delay(Timeout.Infinite, aborted);
            }
            if (!server.LiveClaims.TryRemove(name, out _))
            {
                return Status(404, "NotFound");
            }
            server.DeletedClaims.Add(name);
            return Results.Json(new { kind = "Status", apiVersion = "v1", status = "Success" });
        });
        app.MapGet("/apis/agents.x-k8s.io/v1alpha1/namespaces/{ns}/sandboxes/{name}", (string name) => Results.Json(new
        {
            apiVersion = "agents.x-k8s.io/v1alpha1", kind = "Sandbox",
            metadata = new { name, annotations = new Dictionary<string, string> { ["agents.x-k8s.io/pod-name"] = name[..^"-sbx".Length] + "-pod" } },
        }));
        app.Map("/api/v1/namespaces/{ns}/pods/{pod}/exec", (Func<HttpContext, string, Task>)server.ExecAsync);
        await app.StartAsync();
        return server;
    }

    private static IResult Status(int code, string reason) =>
        Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", reason, code }, statusCode: code);

    private async Task ExecAsync(HttpContext context, string pod)
    {
        ExecUrls.Add(context.Request.Path + context.Request.QueryString);
        var folder = PodFolder(pod);
        if (!context.WebSockets.IsWebSocketRequest || !Directory.Exists(folder))
        {
            context.Response.StatusCode = Directory.Exists(folder) ? 400 : 404;
            return;
        }
        var protocol = context.WebSockets.WebSocketRequestedProtocols.FirstOrDefault(p => p is "v5.channel.k8s.io" or "v4.channel.k8s.io");
        using var socket = await context.WebSockets.AcceptWebSocketAsync(protocol);
        var argv = context.Request.Query["command"].Select(c => c!).ToList();
        var start = new ProcessStartInfo(argv[0]) { WorkingDirectory = folder, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        argv.Skip(1).ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var send = new SemaphoreSlim(1);
        async Task PumpAsync(Stream from, byte channel)
        {
            var buffer = new byte[16 * 1024 + 1];
            buffer[0] = channel;
            int read;
            while ((read = await from.ReadAsync(buffer.AsMemory(1))) > 0)
            {
                await send.WaitAsync();
                try
                {
                    await socket.SendAsync(buffer.AsMemory(0, read + 1), WebSocketMessageType.Binary, true, CancellationToken.None);
                }
                finally
                {
                    send.Release();
                }
            }
        }
        var stdinTask = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    var message = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (message.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                    if (message.Count > 1 && buffer[0] == 0)
                    {
                        await process.StandardInput.BaseStream.WriteAsync(buffer.AsMemory(1, message.Count - 1));
                        await process.StandardInput.BaseStream.FlushAsync();
                    }
                    else if (message.Count == 2 && buffer[0] == 255 && buffer[1] == 0)
                    {
                        process.StandardInput.Close(); // v5: the client closed stdin
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or InvalidOperationException or ObjectDisposedException)
            {
                // The client went away, or the process exited and closed its stdin.
            }
        });
        await Task.WhenAll(PumpAsync(process.StandardOutput.BaseStream, 1), PumpAsync(process.StandardError.BaseStream, 2));
        await process.WaitForExitAsync();
        var status = process.ExitCode == 0
            ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" }
            : new JsonObject
            {
                ["metadata"] = new JsonObject(), ["status"] = "Failure", ["reason"] = "NonZeroExitCode", ["message"] = $"command terminated with non-zero exit code",
                ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) }) },
            };
        await socket.SendAsync(new byte[] { 3 }.Concat(Encoding.UTF8.GetBytes(status.ToJsonString())).ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await Task.WhenAny(stdinTask, Task.Delay(TimeSpan.FromSeconds(5)));
    }

    public string Kubeconfig(string folder)
    {
        var path = Path.Combine(folder, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: double
              cluster:
                server: {Url}
            contexts:
            - name: double
              context:
                cluster: double
                user: double
            current-context: double
            users:
            - name: double
              user:
                token: not-a-real-token
            """);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_pods, recursive: true);
    }
}
