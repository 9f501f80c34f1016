using System.Net;
using System.Net.Sockets;

namespace AgentCloud.SandboxBroker.Tests;

[Collection(BrokerCollection.Name)]
public sealed class IsolationTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    [Fact]
    public async Task Sandbox_gets_the_strongest_level_this_host_offers()
    {
        var client = Broker.ClientFor("iso-level");
        var sandbox = await client.CreateSandboxAsync();
        var catalog = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<AgentCloud.SandboxBroker.Isolation.IsolationCatalog>(Broker.Services);
        Assert.Equal(catalog.Choose(FakePolicies.Default("iso-level").SandboxIsolationLevels, null), sandbox.Isolation);
        Assert.Equal("shared", sandbox.Pool);
    }

    [Fact]
    public async Task Host_files_outside_the_read_only_mounts_are_out_of_reach()
    {
        var client = Broker.ClientFor("iso-host");
        var sandbox = await client.CreateSandboxAsync();
        var result = await client.ShAsync(sandbox.Id,
            $"ls /; cat /etc/passwd; cat /etc/shadow; ls /root; ls {Broker.Root}; ls /work; touch /usr/agentcloud-x && echo WROTE-USR; echo ok > /workspace/mine && echo WROTE-WS");
        var visible = "bin dev etc lib lib64 proc run sbin tmp usr workspace WROTE-WS".Split(' ').Append("").ToList();
        if (sandbox.Isolation == "gvisor")
        {
            visible.Add("sys"); // the sentry's own synthetic sysfs, not the host's
        }
        Assert.All(result.Stdout.Split('\n'), line => Assert.Contains(line, visible));
        Assert.DoesNotContain("root:", result.Stdout);
        Assert.DoesNotContain("WROTE-USR", result.Stdout);
        Assert.Contains("WROTE-WS", result.Stdout);
        Assert.False(File.Exists("/usr/agentcloud-x"));
    }

    [Fact]
    public async Task Another_sandbox_files_are_out_of_reach_even_by_host_path()
    {
        var client = Broker.ClientFor("iso-files");
        var mine = await client.CreateSandboxAsync();
        var other = await client.CreateSandboxAsync();
        await client.ShAsync(other.Id, "echo other-secret > /workspace/secret.txt");
        var otherPath = Path.Combine(Broker.SlotOf("iso-files", other.Id).Workspace, "secret.txt");

        var result = await client.ShAsync(mine.Id, $"cat {otherPath}; cat /workspace/../../{otherPath}; ls /workspace");

        Assert.DoesNotContain("other-secret", result.Stdout);
        Assert.DoesNotContain("secret.txt", result.Stdout);
    }

    [Fact]
    public async Task Namespace_level_also_keeps_another_sandbox_files_and_host_files_out_of_reach()
    {
        var client = Broker.ClientFor("iso-ns");
        var mine = await client.CreateSandboxAsync(new { isolation = "namespace" });
        var other = await client.CreateSandboxAsync(new { isolation = "namespace" });
        Assert.Equal("namespace", mine.Isolation);
        await client.ShAsync(other.Id, "echo other-secret > secret.txt && echo written");
        var otherWorkspace = Broker.SlotOf("iso-ns", other.Id).Workspace;

        var result = await client.ShAsync(mine.Id, $"cat {otherWorkspace}/secret.txt; ls {otherWorkspace}; cat /etc/shadow; touch /etc/agentcloud-x && echo WROTE-ETC; echo $$; cat /proc/net/dev");

        Assert.DoesNotContain("other-secret", result.Stdout);
        Assert.DoesNotContain("WROTE-ETC", result.Stdout);
        Assert.False(File.Exists("/etc/agentcloud-x"));
        Assert.DoesNotContain("eth", result.Stdout);
    }

    [Fact]
    public async Task Another_sandbox_processes_are_neither_visible_nor_killable()
    {
        var client = Broker.ClientFor("iso-procs");
        var mine = await client.CreateSandboxAsync();
        var other = await client.CreateSandboxAsync();
        var otherSlot = Broker.SlotOf("iso-procs", other.Id);
        using var stop = new CancellationTokenSource();
        var sleeper = client.ExecAsync(other.Id, ["sleep", "30"], timeoutSeconds: 30);
        await WaitUntil(() => SandboxProcesses.TenantCommands(Broker, otherSlot).Contains("sleep"));
        var hostPids = SandboxProcesses.OnHost(Broker, otherSlot);

        var result = await client.ShAsync(mine.Id, $"ls /proc | grep -E '^[0-9]+$' | wc -l; for p in {string.Join(' ', hostPids)}; do kill -9 $p && echo KILLED; done; ps -eo comm");

        Assert.DoesNotContain("KILLED", result.Stdout);
        Assert.DoesNotContain("sleep", result.Stdout);
        Assert.Contains("sleep", SandboxProcesses.TenantCommands(Broker, otherSlot));
        await client.DeleteAsync($"/v1/sandboxes/{other.Id}");
        await WaitUntil(() => SandboxProcesses.TenantCommands(Broker, otherSlot).Count == 0);
        _ = await Record.ExceptionAsync(() => sleeper);
    }

    [Fact]
    public async Task Network_is_out_of_reach_without_egress()
    {
        using var hostService = new TcpListener(IPAddress.Loopback, 0);
        hostService.Start();
        var port = ((IPEndPoint)hostService.LocalEndpoint).Port;
        var client = Broker.ClientFor("iso-net");
        var sandbox = await client.CreateSandboxAsync();

        var result = await client.ExecAsync(sandbox.Id, ["python3", "-c", $$"""
import socket
for host, port in [("127.0.0.1", {{port}}), ("1.1.1.1", 80), ("10.0.0.1", 80)]:
    try:
        socket.create_connection((host, port), timeout=2); print("CONNECTED", host)
    except OSError as e:
        print("refused", host, e.errno)
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); print("RAW-OK")
except OSError as e:
    print("raw refused", e.errno)
print(open("/proc/net/dev").read())
"""]);

        Assert.DoesNotContain("CONNECTED", result.Stdout);
        Assert.DoesNotContain("RAW-OK", result.Stdout);
        Assert.Contains("raw refused", result.Stdout);
        Assert.DoesNotContain("eth", result.Stdout);
        Assert.False(hostService.Pending());
    }

    [Fact]
    public async Task Exec_timeout_kills_the_whole_process_group()
    {
        var client = Broker.ClientFor("iso-timeout");
        var sandbox = await client.CreateSandboxAsync();
        var slot = Broker.SlotOf("iso-timeout", sandbox.Id);

        var result = await client.ShUntilTimedOutAfterAsync(sandbox.Id, "sleep 120 & sleep 120 & echo started; sleep 120", "started");

        Assert.True(result.TimedOut);
        Assert.Contains("started", result.Stdout);
        await WaitUntil(() => SandboxProcesses.TenantCommands(Broker, slot).Count == 0);
    }

    [Fact]
    public async Task Output_beyond_the_cap_is_cut_and_flagged_truncated()
    {
        var client = Broker.ClientFor("iso-output");
        var sandbox = await client.CreateSandboxAsync();

        var result = await client.ShAsync(sandbox.Id, "head -c 3000000 /dev/zero | tr '\\0' 'a'; echo done >&2");

        Assert.True(result.Truncated);
        Assert.Equal(1024 * 1024, result.Stdout.Length);
        Assert.Equal("done\n", result.Stderr);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Python_from_the_host_read_only_usr_runs_with_stdin_and_env()
    {
        var client = Broker.ClientFor("iso-python");
        var sandbox = await client.CreateSandboxAsync(new { template = "default" });

        var result = await client.ExecAsync(sandbox.Id, ["python3", "-c", "import os,sys; print(sys.stdin.read().upper(), os.environ['GREETING'], os.getcwd())"],
            stdin: "hello", env: new() { ["GREETING"] = "hi" });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("HELLO hi /workspace\n", result.Stdout);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 300 && !condition(); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(condition());
    }
}
