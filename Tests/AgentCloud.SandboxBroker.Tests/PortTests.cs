using System.Net;
using AgentCloud.SandboxBroker.Isolation;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary><c>/v1/sandboxes/{id}/ports/{port}/{path}</c>: a server inside the sandbox, reachable by its own tenant only.</summary>
[Collection(BrokerCollection.Name)]
public sealed class PortTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    private async Task<(HttpClient Client, SandboxDto Sandbox)?> ServingAsync(string tenant, string level, int port)
    {
        var offered = Broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == level);
        if (!offered.Available)
        {
            Assert.False(string.IsNullOrWhiteSpace(offered.Reason));
            return null;
        }
        var client = Broker.ClientFor(tenant);
        var sandbox = await client.CreateSandboxAsync(new { isolation = level });
        if ((await client.ShAsync(sandbox.Id, "command -v python3")).ExitCode != 0)
        {
            Assert.False(File.Exists("/usr/bin/python3"), "python3 is on the host but not found in the sandbox");
            return null;
        }
        await client.ShAsync(sandbox.Id, "mkdir -p site && printf 'hello through the port' > site/index.html");
        await client.StartProcessAsync(sandbox.Id, ["python3", "-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1"], cwd: "site");
        return (client, sandbox);
    }

    [Theory]
    [InlineData(IsolationLevels.Bubblewrap)]
    [InlineData(IsolationLevels.Namespace)]
    [InlineData(IsolationLevels.Gvisor)]
    public async Task The_owner_reaches_a_server_inside_and_another_tenant_gets_404(string level)
    {
        if (await ServingAsync($"port-owner-{level}", level, 8080) is not var (client, sandbox))
        {
            return;
        }
        var url = $"/v1/sandboxes/{sandbox.Id}/ports/8080/index.html?x=1";
        HttpResponseMessage response;
        var tries = 0;
        // The server may still be starting: a 502 until it listens (bounded).
        while ((response = await client.GetAsync(url)).StatusCode == HttpStatusCode.BadGateway && ++tries < 100)
        {
            response.Dispose();
            await Task.Delay(100);
        }

        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("hello through the port", await response.Content.ReadAsStringAsync());
        }
        var other = Broker.ClientFor($"port-other-{level}");
        using var stranger = await other.GetAsync(url);
        await BrokerCalls.AssertProblemAsync(stranger, 404);
        Assert.DoesNotContain("hello", await stranger.Content.ReadAsStringAsync());
        using var nothing = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/ports/8081/");
        await BrokerCalls.AssertProblemAsync(nothing, 502);
        using var bad = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/ports/70000/");
        await BrokerCalls.AssertProblemAsync(bad, 400);
    }

    [Fact]
    public async Task The_platform_key_never_reaches_the_server_inside_and_its_answer_carries_no_platform_header()
    {
        if (await ServingAsync("port-headers", IsolationLevels.Bubblewrap, 8082) is not var (client, sandbox))
        {
            return;
        }
        // A server that answers with the headers it was sent.
        await client.ShAsync(sandbox.Id, "cat > echo.py <<'EOF'\n" +
            "import http.server\nclass H(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        body = str(self.headers).encode()\n" +
            "        self.send_response(200); self.send_header('Content-Length', str(len(body)))\n" +
            // A hostile server's answer naming platform headers (the Gateway drops the keys an x-agentcloud-revoked-keys names).
            "        self.send_header('X-AgentCloud-Revoked-Keys', 'key_0123456789abcdef'); self.send_header('X-App-Answer', 'kept')\n" +
            "        self.end_headers(); self.wfile.write(body)\n" +
            "http.server.HTTPServer(('127.0.0.1', 8083), H).serve_forever()\nEOF");
        await client.StartProcessAsync(sandbox.Id, ["python3", "echo.py"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sandboxes/{sandbox.Id}/ports/8083/");
        request.Headers.Add("X-App", "kept");
        request.Headers.Add(AgentCloud.SandboxBroker.Apis.IdempotencyFilter.Header, "the-apps-own-key");
        HttpResponseMessage response;
        var tries = 0;
        while ((response = await client.SendAsync(Clone(request))).StatusCode == HttpStatusCode.BadGateway && ++tries < 100)
        {
            response.Dispose();
            await Task.Delay(100);
        }

        var seen = await response.Content.ReadAsStringAsync();
        var answered = response.Headers.Select(h => h.Key).ToArray();
        response.Dispose();
        Assert.Contains("X-App-Answer", answered);
        Assert.DoesNotContain(answered, h => h.StartsWith("x-agentcloud", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("X-App: kept", seen);
        Assert.Contains("the-apps-own-key", seen);
        Assert.DoesNotContain("Authorization", seen, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("x-agentcloud", seen, StringComparison.OrdinalIgnoreCase);
    }

    private static HttpRequestMessage Clone(HttpRequestMessage request)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri);
        foreach (var (name, values) in request.Headers)
        {
            copy.Headers.TryAddWithoutValidation(name, values);
        }
        return copy;
    }

    [Fact]
    public async Task A_namespace_sandbox_has_its_own_loopback_up_and_still_no_other_network()
    {
        var offered = Broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == IsolationLevels.Namespace);
        if (!offered.Available)
        {
            Assert.False(string.IsNullOrWhiteSpace(offered.Reason));
            return;
        }
        using var hostService = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        hostService.Start();
        var hostPort = ((IPEndPoint)hostService.LocalEndpoint).Port;
        var client = Broker.ClientFor("port-namespace");
        var sandbox = await client.CreateSandboxAsync(new { isolation = IsolationLevels.Namespace });

        var result = await client.ShAsync(sandbox.Id, $$"""
            python3 -c '
            import socket
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); socket.create_connection(s.getsockname(), timeout=2); print("OWN-LOOPBACK")
            for host, port in [("127.0.0.1", {{hostPort}}), ("1.1.1.1", 80), ("10.0.0.1", 80)]:
                try:
                    socket.create_connection((host, port), timeout=2); print("CONNECTED", host)
                except OSError as e:
                    print("refused", host, e.errno)
            print(open("/proc/net/dev").read())
            '
            """);

        Assert.Contains("OWN-LOOPBACK", result.Stdout);
        Assert.DoesNotContain("CONNECTED", result.Stdout);
        var interfaces = result.Stdout.Split('\n').Where(l => l.Contains(':') && !l.StartsWith("refused", StringComparison.Ordinal))
            .Select(l => l.Split(':')[0].Trim()).ToList();
        Assert.Equal(["lo"], interfaces);
        Assert.False(hostService.Pending());
    }
}
