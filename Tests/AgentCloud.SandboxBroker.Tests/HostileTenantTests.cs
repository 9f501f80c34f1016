using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Isolation.Gvisor;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.DependencyInjection;
using System.Globalization;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// Tenant A attacks from inside its sandbox while tenant B's exec runs with a key in its environment, at every level
/// with namespaces this host offers, gvisor included (probed: a level the host lacks must be refused, not silently pass).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class HostileTenantTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    private async Task<(HttpClient Client, SandboxDto Sandbox)?> SandboxAtAsync(string tenant, string level)
    {
        Broker.Policies.Set(FakePolicies.Default(tenant) with { SandboxIsolationLevels = [level] });
        var client = Broker.ClientFor(tenant);
        if (!Broker.Services.GetRequiredService<IsolationCatalog>().IsAvailable(level))
        {
            using var refused = await client.PostAsJsonAsync("/v1/sandboxes", new { isolation = level });
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            return null;
        }
        return (client, await client.CreateSandboxAsync(new { isolation = level }));
    }

    /// <summary>Whether tenant code in that slot now runs that command (inside gVisor's kernel at gvisor, else host processes of the slot's uid).</summary>
    private bool Runs(SandboxSlot slot, string command) => SandboxProcesses.TenantCommands(Broker, slot).Contains(command);

    /// <summary>A host process of the victim's sandbox: its tenant process, or at gvisor its sentry (the tenant's code is inside it).</summary>
    private int VictimHostPid(SandboxSlot slot) => slot.Level == IsolationLevels.Gvisor
        ? RunscProcesses.SandboxPid(Broker.Gvisor().RunscFor(slot).StateRoot)!.Value
        // The victim's sleep itself, not a process of the sandbox's start-up that may be gone by the next look.
        : SlotProcesses.Find(slot.Uid).First(p => Cmdline(p).StartsWith("sleep", StringComparison.Ordinal));

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }
        Assert.True(condition());
    }

    [Theory]
    [InlineData("bubblewrap")]
    [InlineData("namespace")]
    [InlineData("gvisor")]
    public async Task No_key_appears_on_any_command_line_or_in_another_uids_environment_while_two_tenants_run(string level)
    {
        var key = "ac_cmdline_" + Guid.NewGuid().ToString("N");
        if (await SandboxAtAsync($"argv-a-{level}", level) is not var (clientA, a) || await SandboxAtAsync($"argv-b-{level}", level) is not var (clientB, b))
        {
            return;
        }
        var slots = new[] { Broker.SlotOf($"argv-a-{level}", a.Id), Broker.SlotOf($"argv-b-{level}", b.Id) };
        var runs = new[]
        {
            clientA.ExecAsync(a.Id, ["sleep", "4"], env: new() { ["AGENTCLOUD_KEY"] = key + "-a" }),
            clientB.ExecAsync(b.Id, ["sleep", "4"], env: new() { ["AGENTCLOUD_KEY"] = key + "-b" }),
        };
        await WaitUntil(() => slots.All(slot => Runs(slot, "sleep")));

        // At gvisor no host process is tenant code: the key may be in none of them, not even in an environment.
        var sandboxed = slots.Select(s => s.Uid).SelectMany(SlotProcesses.Find).ToHashSet();
        foreach (var pid in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(int.Parse!))
        {
            Assert.DoesNotContain(key, Cmdline(pid));
            if (!sandboxed.Contains(pid))
            {
                Assert.DoesNotContain(key, Read($"/proc/{pid}/environ"));
            }
        }
        if (level != IsolationLevels.Gvisor)
        {
            // The sandboxed command itself has its key, in its environment.
            Assert.Contains(sandboxed, p => Read($"/proc/{p}/environ").Contains(key + "-a", StringComparison.Ordinal));
        }
        await Task.WhenAll(runs);
        Assert.Empty(Directory.EnumerateFiles(Broker.SlotOf($"argv-a-{level}", a.Id).Directory, ".env-*"));
    }

    private static string Cmdline(int pid) => Read($"/proc/{pid}/cmdline").Replace('\0', ' ');

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    [Theory]
    [InlineData("bubblewrap")]
    [InlineData("namespace")]
    [InlineData("gvisor")]
    public async Task Unmounting_proc_tmp_and_shm_reveals_nothing_of_the_host_or_another_tenant(string level)
    {
        var key = "ac_victim_" + Guid.NewGuid().ToString("N");
        if (await SandboxAtAsync($"esc-a-{level}", level) is not var (clientA, a) || await SandboxAtAsync($"esc-b-{level}", level) is not var (clientB, b))
        {
            return;
        }
        var victimSlot = Broker.SlotOf($"esc-b-{level}", b.Id);
        await clientB.ShAsync(b.Id, "echo victim-file > /workspace/secret.txt");
        var victim = clientB.ExecAsync(b.Id, ["sleep", "6"], env: new() { ["AGENTCLOUD_KEY"] = key });
        await WaitUntil(() => Runs(victimSlot, "sleep"));
        var victimPid = VictimHostPid(victimSlot);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var otherWorkspace = Broker.SlotOf($"esc-b-{level}", b.Id).Workspace;

        var attack = await clientA.ShAsync(a.Id, string.Join("; ",
            "umount -l /proc /tmp /dev/shm 2>/dev/null && echo UNMOUNTED",
            "umount -l / 2>/dev/null && echo UNMOUNTED-ROOT",
            // A glob, not ls: the runsc of Debian 12 refuses the statx flag (AT_NO_AUTOMOUNT) coreutils' ls passes.
            "set -- /proc/[0-9]*; echo procs=$#",
            // The key is searched for from a file, so it appears on no command line of the search itself.
            $"printf '%s%s' '{key[..6]}' '{key[6..]}' > /tmp/pattern; grep -lsF -f /tmp/pattern /proc/*/environ /proc/*/cmdline 2>/dev/null && echo FOUND-KEY",
            "ls /var/lib/agentcloud 2>/dev/null && echo SAW-VARLIB",
            "ls /root/.microsoft/usersecrets 2>/dev/null && echo SAW-SECRETS",
            $"cat {otherWorkspace}/secret.txt 2>/dev/null; ls {Broker.Root} 2>/dev/null && echo SAW-ROOT",
            "mount -t tmpfs x /workspace 2>/dev/null && echo MOUNTED",
            "unshare -r -m true 2>/dev/null && echo NESTED-USERNS",
            "unshare -r true 2>/dev/null && echo NESTED-USERNS",
            "unshare -p -f true 2>/dev/null && echo NESTED-PIDNS",
            $"perl -e 'syscall(101, 16, {victimPid}, 0, 0) == 0 and print qq(PTRACED\\n)'",
            "perl -e 'socket(S, 2, 3, 1) and print qq(RAW-SOCKET\\n)'",
            $"perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => q(127.0.0.1), PeerPort => {port}, Timeout => 2) and print qq(REACHED-HOST\\n)'",
            "grep -E '^Cap(Prm|Eff|Amb)' /proc/self/status",
            "echo done"));

        Assert.Contains("done", attack.Stdout);
        foreach (var marker in new[] { "UNMOUNTED", "FOUND-KEY", "SAW-VARLIB", "SAW-SECRETS", "victim-file", "SAW-ROOT", "MOUNTED", "NESTED-USERNS", "NESTED-PIDNS", "PTRACED", "RAW-SOCKET", "REACHED-HOST" })
        {
            Assert.DoesNotContain(marker, attack.Stdout);
        }
        var visible = int.Parse(attack.Stdout.Split('\n').Single(l => l.StartsWith("procs=", StringComparison.Ordinal))[6..], CultureInfo.InvariantCulture);
        Assert.InRange(visible, 1, 6);
        Assert.Matches(@"CapPrm:\s+0+\n", attack.Stdout);
        Assert.Matches(@"CapEff:\s+0+\n", attack.Stdout);
        Assert.False(listener.Pending());
        await victim;
    }

    [Theory]
    [InlineData("bubblewrap")]
    [InlineData("namespace")]
    [InlineData("gvisor")]
    public async Task Tenant_code_runs_as_a_non_root_uid_in_a_private_root_with_no_inherited_descriptor(string level)
    {
        if (await SandboxAtAsync($"uid-{level}", level) is not var (client, sandbox))
        {
            return;
        }

        var result = await client.ShAsync(sandbox.Id, "id -u; for entry in /*; do echo \"${entry#/}\"; done; cat /proc/1/mountinfo | wc -l; pwd");
        var descriptors = await client.ShAsync(sandbox.Id, "find /proc/$$/fd -mindepth 1 -maxdepth 1 -printf '%f\\n'");

        var lines = result.Stdout.Split('\n');
        Assert.NotEqual("0", lines[0]);
        Assert.DoesNotContain("home", lines);
        Assert.DoesNotContain("root", lines);
        Assert.DoesNotContain("var", lines);
        Assert.Contains("/workspace", lines);
        Assert.Equal(["0", "1", "2"], descriptors.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }
}
