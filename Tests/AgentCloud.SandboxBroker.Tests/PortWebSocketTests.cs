using System.Net.WebSockets;
using System.Text;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>A WebSocket to a port inside the sandbox, relayed by the broker; another tenant's upgrade is refused with 404.</summary>
[Collection(BrokerCollection.Name)]
public sealed class PortWebSocketTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    private WebSocketClientFor Client(string tenant) => new(Broker, TestTenantContexts.Tenant(tenant));

    private sealed class WebSocketClientFor(BrokerFactory broker, TenantContext context)
    {
        public Task<WebSocket> ConnectAsync(string path, CancellationToken cancellationToken)
        {
            var client = broker.Server.CreateWebSocketClient();
            client.ConfigureRequest = request => request.Headers[TenantContextHeaders.Context] = TestTenantContexts.Mint(context);
            return client.ConnectAsync(new Uri(broker.Server.BaseAddress, path.Replace("http", "ws", StringComparison.Ordinal)), cancellationToken);
        }
    }

    [Fact]
    public async Task A_message_reaches_a_websocket_server_inside_and_its_answer_comes_back_and_another_tenant_gets_404()
    {
        if (!Broker.Services.GetRequiredService<IsolationCatalog>().IsAvailable(IsolationLevels.Bubblewrap) || !File.Exists("/usr/bin/python3"))
        {
            return;
        }
        var client = Broker.ClientFor("port-ws");
        var sandbox = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Bubblewrap });
        await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/ws.py", new StringContent(WebSocketEchoServer.Python(8090)));
        await client.StartProcessAsync(sandbox.Id, ["python3", "ws.py"]);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var path = $"/v1/sandboxes/{sandbox.Id}/ports/8090/chat";
        WebSocket? socket = null;
        for (var tries = 0; socket is null; tries++)
        {
            try
            {
                socket = await Client("port-ws").ConnectAsync(path, bound.Token);
            }
            catch (InvalidOperationException) when (tries < 100)
            {
                // 502 until the server listens.
                await Task.Delay(100, bound.Token);
            }
        }

        using (socket)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes("hi"), WebSocketMessageType.Text, true, bound.Token);
            var buffer = new byte[256];
            var received = await socket.ReceiveAsync(buffer, bound.Token);
            Assert.Equal("echo: hi", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Client("port-ws-other").ConnectAsync(path, bound.Token));
        Assert.Contains("404", refused.Message);
    }
}
