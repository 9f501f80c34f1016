using System.Net;
using System.Net.Sockets;
using System.Text;
using AgentCloud.SandboxBroker.Egress;
using AgentCloud.SandboxBroker.Kubernetes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>
/// The pods' egress port with the broker's own allowlist proxy, on loopback standing in for a pod network: a connection
/// counts as a sandbox's only while that sandbox's pod IP is registered.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class ClusterEgressTests(BrokerFixture fixture)
{
    private ClusterEgress NewEgress()
    {
        var egress = new ClusterEgress(fixture.Broker.Services.GetRequiredService<EgressProxy>(), NullLogger<ClusterEgress>.Instance);
        egress.Start(new IPEndPoint(IPAddress.Loopback, 0));
        return egress;
    }

    private static async Task<string> AskAsync(IPEndPoint proxy, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(proxy);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        try
        {
            return await reader.ReadToEndAsync();
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            // A connection closed unanswered while the request was still unread is reset rather than ended: also no answer.
            return "";
        }
    }

    [Fact]
    public async Task A_registered_pod_gets_the_tenants_allowlist_and_nothing_beyond_it()
    {
        await using var egress = NewEgress();
        using var registration = egress.Register(["127.0.0.1"], new DomainAllowlist(["allowed.example"]), "tenant-egress-a", "sbx_pod1", "sbx_pod1");

        var answer = await AskAsync(egress.Endpoint!, "CONNECT elsewhere.example:443 HTTP/1.1\r\nHost: elsewhere.example:443\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 403", answer);
        Assert.Contains("not allowed for this tenant", answer);
    }

    [Fact]
    public async Task An_address_that_is_no_claimed_sandboxs_is_closed_unanswered()
    {
        await using var egress = NewEgress();
        var registration = egress.Register(["127.0.0.1"], new DomainAllowlist(["allowed.example"]), "tenant-egress-b", "sbx_pod2", null);
        registration.Dispose();

        var answer = await AskAsync(egress.Endpoint!, "CONNECT allowed.example:443 HTTP/1.1\r\nHost: allowed.example:443\r\n\r\n");

        Assert.Equal("", answer);
    }

    [Fact]
    public async Task A_second_sandbox_cannot_take_over_an_address_that_is_still_registered()
    {
        await using var egress = NewEgress();
        using var first = egress.Register(["127.0.0.1"], new DomainAllowlist(["a.example"]), "tenant-egress-c", "sbx_pod3", null);

        Assert.Throws<InvalidOperationException>(() => egress.Register(["127.0.0.1"], new DomainAllowlist(["*"]), "tenant-egress-d", "sbx_pod4", null));

        var answer = await AskAsync(egress.Endpoint!, "CONNECT b.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 403", answer);
    }
}
