using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using AgentCloud.Tests.Shared;

namespace AgentCloud.AppHost.Tests;

/// <summary>A WebSocket through the public Gateway to a server inside a sandbox: its tenant gets the echo, another tenant 404.</summary>
[Collection(PlatformCollection.Name)]
public sealed class SandboxPortWebSocketEndToEndTests(PlatformFixture platform)
{
    private async Task<WebSocket> ConnectAsync(string key, string path, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{platform.Args.GatewayPort}{path}"), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    [Fact]
    public async Task A_websocket_reaches_a_server_in_the_tenants_sandbox_through_the_gateway_and_another_tenant_gets_404()
    {
        var (_, keyA) = await platform.NewTenantAsync("pro", "ws-a");
        var (_, keyB) = await platform.NewTenantAsync("pro", "ws-b");
        using var a = platform.Gateway().As(keyA);
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var created = await PlatformTenants.PatientlyAsync(() => a.PostAsJsonAsync("/v1/sandboxes", new { }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync(bound.Token))!["id"]!.GetValue<string>();
        using var written = await a.PutAsync($"/v1/sandboxes/{id}/files/ws.py", new StringContent(WebSocketEchoServer.Python(8091)), bound.Token);
        Assert.Equal(HttpStatusCode.NoContent, written.StatusCode);
        using var started = await a.PostAsJsonAsync($"/v1/sandboxes/{id}/processes", new { command = new[] { "python3", "ws.py" } }, bound.Token);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var path = $"/v1/sandboxes/{id}/ports/8091/chat";

        WebSocket? socket = null;
        for (var tries = 0; socket is null; tries++)
        {
            try
            {
                socket = await ConnectAsync(keyA, path, bound.Token);
            }
            catch (WebSocketException) when (tries < 100)
            {
                // 502 until the server inside listens.
                await Task.Delay(200, bound.Token);
            }
        }
        using (socket)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes("through the gateway"), WebSocketMessageType.Text, true, bound.Token);
            var buffer = new byte[256];
            var received = await socket.ReceiveAsync(buffer, bound.Token);
            Assert.Equal("echo: through the gateway", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(keyB, path, bound.Token));
        Assert.Contains("404", refused.Message);
        using var b = platform.Gateway().As(keyB);
        using var plain = await b.GetAsync(path, bound.Token);
        Assert.Equal(HttpStatusCode.NotFound, plain.StatusCode);
        await a.DeleteAsync($"/v1/sandboxes/{id}", bound.Token);
    }
}
