using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Default-deny egress through the broker's proxy; a loopback server stands in for the allowed domains.</summary>
public sealed class EgressTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private readonly TcpListener _site = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private BrokerFactory _broker = null!;
    private BrokerFactory _platformBroker = null!;
    private int _hits;

    private int SitePort => ((IPEndPoint)_site.LocalEndpoint).Port;

    public async Task InitializeAsync()
    {
        _site.Start();
        _ = ServeAsync();
        await _redis.InitializeAsync();
        _broker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:EgressHostOverrides:allowed.test"] = "127.0.0.1",
            ["SandboxBroker:EgressHostOverrides:api.wild.test"] = "127.0.0.1",
            ["SandboxBroker:EgressHostOverrides:denied.test"] = "127.0.0.1",
        });
        _broker.Policies.Set(FakePolicies.Default("egress-on") with { Egress = ["allowed.test", "*.wild.test"] });
        _ = _broker.Server;
        // A broker of a platform whose Gateway the loopback site stands in for.
        _platformBroker = new BrokerFactory(_redis.ConnectionString, new Dictionary<string, string?>
        {
            ["SandboxBroker:PlatformGatewayUrl"] = $"http://127.0.0.1:{SitePort}",
        });
        _ = _platformBroker.Server;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _site.Stop();
        await _broker.DisposeAsync();
        await _platformBroker.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _site.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    var seen = "";
                    while (!seen.Contains("\r\n\r\n"))
                    {
                        var n = await stream.ReadAsync(buffer);
                        if (n == 0) return;
                        seen += Encoding.ASCII.GetString(buffer, 0, n);
                    }
                    Interlocked.Increment(ref _hits);
                    var host = seen.Split("\r\n").FirstOrDefault(l => l.StartsWith("Host:", StringComparison.OrdinalIgnoreCase)) ?? "";
                    var body = $"hello from the allowed site ({host.Trim()})";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
                }
            });
        }
    }

    [Fact]
    public async Task Allowed_domain_is_reached_through_the_proxy_by_plain_http_and_connect()
    {
        var client = _broker.ClientFor("egress-on");
        var sandbox = await client.CreateSandboxAsync();

        var plain = await client.ExecAsync(sandbox.Id, ["python3", "-c", $"import urllib.request; print(urllib.request.urlopen('http://allowed.test:{SitePort}/x', timeout=10).read().decode())"], timeoutSeconds: 30);
        var tunnel = await client.ExecAsync(sandbox.Id, ["curl", "-sS", "--max-time", "10", "--proxytunnel", $"http://api.wild.test:{SitePort}/"], timeoutSeconds: 30);

        Assert.Contains("hello from the allowed site", plain.Stdout);
        Assert.Contains("hello from the allowed site", tunnel.Stdout);
    }

    [Fact]
    public async Task A_background_process_and_an_exec_that_joins_its_boundary_reach_an_allowed_domain_through_the_proxy()
    {
        var client = _broker.ClientFor("egress-on");
        var sandbox = await client.CreateSandboxAsync(new { isolation = "bubblewrap" });
        var fetch = $"import urllib.request; print(urllib.request.urlopen('http://allowed.test:{SitePort}/p', timeout=10).read().decode())";

        var process = await client.StartProcessAsync(sandbox.Id, ["python3", "-c", fetch]);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var exited = await client.ExitedAsync(sandbox.Id, process.Pid, bound.Token);
        var exec = await client.ExecAsync(sandbox.Id, ["python3", "-c", fetch], timeoutSeconds: 30);

        Assert.Equal(0, exited.ExitCode);
        Assert.Contains("hello from the allowed site", (await client.LogsAsync(sandbox.Id, process.Pid)).Stdout);
        Assert.Contains("hello from the allowed site", exec.Stdout);
    }

    [Fact]
    public async Task Domain_not_on_the_allowlist_is_refused_by_the_proxy()
    {
        var client = _broker.ClientFor("egress-on");
        var sandbox = await client.CreateSandboxAsync();
        var before = _hits;

        var plain = await client.ExecAsync(sandbox.Id, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", $"http://denied.test:{SitePort}/"], timeoutSeconds: 30);
        var tunnel = await client.ExecAsync(sandbox.Id, ["curl", "-sS", "--max-time", "10", "--proxytunnel", $"http://wild.test:{SitePort}/"], timeoutSeconds: 30);

        Assert.Equal("403", plain.Stdout);
        Assert.NotEqual(0, tunnel.ExitCode);
        Assert.Contains("403", tunnel.Stderr);
        Assert.Equal(before, _hits);
    }

    [Fact]
    public async Task An_allowed_name_that_does_not_resolve_is_answered_bad_gateway_by_plain_http_and_connect()
    {
        var client = _broker.ClientFor("egress-on");
        var sandbox = await client.CreateSandboxAsync();
        // On the allowlist (*.wild.test) but in no override; .test is reserved, so no resolver knows it.
        var host = "nowhere-" + Guid.NewGuid().ToString("N")[..8] + ".wild.test";

        var plain = await client.ExecAsync(sandbox.Id, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20", $"http://{host}:{SitePort}/"], timeoutSeconds: 30);
        var tunnel = await client.ExecAsync(sandbox.Id, ["curl", "-sS", "--max-time", "20", "--proxytunnel", $"http://{host}:{SitePort}/"], timeoutSeconds: 30);

        Assert.Equal("502", plain.Stdout);
        Assert.NotEqual(0, tunnel.ExitCode);
        Assert.Contains("502", tunnel.Stderr);
    }

    [Fact]
    public async Task Denied_requests_by_plain_http_and_connect_are_sent_to_the_platform_audit_stream_as_the_tenant()
    {
        var client = _broker.ClientFor("egress-audited");
        _broker.Policies.Set(FakePolicies.Default("egress-audited") with { Egress = ["allowed.test"] });
        var sandbox = await client.CreateSandboxAsync();

        await client.ExecAsync(sandbox.Id, ["curl", "-sS", "-o", "/dev/null", "--max-time", "10", $"http://denied.test:{SitePort}/plain"], timeoutSeconds: 30);
        await client.ExecAsync(sandbox.Id, ["curl", "-sS", "--max-time", "10", "--proxytunnel", $"http://denied.test:{SitePort + 1}/"], timeoutSeconds: 30);

        var entries = (await _redis.Connection.GetDatabase().StreamRangeAsync(PlatformAuditEntry.StreamName))
            .Select(e => e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()))
            .Where(f => f["actor"] == $"sandbox:{sandbox.Id}")
            .ToList();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, f =>
        {
            Assert.Equal("egress-audited", f["tenantId"]);
            Assert.Equal(PlatformAuditEntry.EgressDenied, f["action"]);
            Assert.NotNull(PlatformAuditEntry.TryParse(f, out _));
            using var data = JsonDocument.Parse(f["data"]);
            Assert.Equal("denied.test", data.RootElement.GetProperty("host").GetString());
            Assert.Equal(sandbox.Id, data.RootElement.GetProperty("sandboxId").GetString());
            Assert.Equal(f["eventId"], data.RootElement.GetProperty("eventId").GetString());
        });
        Assert.Equal([SitePort, SitePort + 1], entries.Select(f => JsonDocument.Parse(f["data"]).RootElement.GetProperty("port").GetInt32()).Order());
        Assert.NotEqual(entries[0]["eventId"], entries[1]["eventId"]);
    }

    [Fact]
    public async Task Raw_socket_to_anything_fails_even_with_egress()
    {
        var client = _broker.ClientFor("egress-on");
        var sandbox = await client.CreateSandboxAsync();

        var result = await client.ExecAsync(sandbox.Id, ["python3", "-c", $$"""
import socket
for host, port in [("127.0.0.1", {{SitePort}}), ("1.1.1.1", 443)]:
    try:
        socket.create_connection((host, port), timeout=2); print("CONNECTED", host)
    except OSError as e:
        print("refused", host)
"""], timeoutSeconds: 30);

        Assert.DoesNotContain("CONNECTED", result.Stdout);
        Assert.Contains("refused 127.0.0.1", result.Stdout);
    }

    [Fact]
    public async Task Tenant_without_an_allowlist_gets_no_proxy_at_all()
    {
        var client = _broker.ClientFor("egress-off");
        var sandbox = await client.CreateSandboxAsync();

        var result = await client.ExecAsync(sandbox.Id, ["sh", "-c", $"env | grep -i proxy; curl -sS --max-time 5 http://allowed.test:{SitePort}/ || echo FAILED"], timeoutSeconds: 30);

        Assert.Contains("FAILED", result.Stdout);
        Assert.DoesNotContain("hello", result.Stdout);
    }

    [Fact]
    public async Task A_sandbox_reaches_the_platform_gateway_through_its_proxy_at_the_injected_address()
    {
        var client = _platformBroker.ClientFor("no-allowlist");
        var sandbox = await client.CreateSandboxAsync();

        var result = await client.ExecAsync(sandbox.Id, ["python3", "-c",
            "import os, urllib.request; print(os.environ['AGENTCLOUD_URL']); print(urllib.request.urlopen(os.environ['AGENTCLOUD_URL'] + '/v1/models', timeout=10).read().decode())"], timeoutSeconds: 30);

        Assert.Contains($"http://gateway.agentcloud.internal:{SitePort}", result.Stdout);
        Assert.Contains("hello from the allowed site", result.Stdout);
    }

    [Fact]
    public async Task The_platform_host_admits_only_the_gateways_port_and_loopback_stays_closed()
    {
        var client = _platformBroker.ClientFor("no-allowlist");
        var sandbox = await client.CreateSandboxAsync();
        using var other = new TcpListener(IPAddress.Loopback, 0); // say, Redis or Postgres on the host
        other.Start();
        var otherPort = ((IPEndPoint)other.LocalEndpoint).Port;
        var before = _hits;

        var otherPortResult = await client.ExecAsync(sandbox.Id, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", $"http://gateway.agentcloud.internal:{otherPort}/"], timeoutSeconds: 30);
        var tunnel = await client.ExecAsync(sandbox.Id, ["curl", "-sS", "--max-time", "10", "--proxytunnel", $"http://gateway.agentcloud.internal:{otherPort}/"], timeoutSeconds: 30);
        var loopback = await client.ExecAsync(sandbox.Id, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", $"http://127.0.0.1:{SitePort}/"], timeoutSeconds: 30);

        Assert.Equal("403", otherPortResult.Stdout);
        Assert.NotEqual(0, tunnel.ExitCode);
        Assert.Equal("000", loopback.Stdout); // no proxy for loopback, and the sandbox's own loopback has nothing there
        Assert.False(other.Pending());
        Assert.Equal(before, _hits);
    }
}
