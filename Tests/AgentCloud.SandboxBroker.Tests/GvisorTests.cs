using System.Net;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Isolation.Gvisor;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.DependencyInjection;
using System.Globalization;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// The gvisor level on a real runsc: what bubblewrap does, plus a pre-booted sandbox per slot. On a host where runsc
/// cannot start a container, each test asserts instead that the level is reported unavailable, naming runsc.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class GvisorTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    private bool GvisorHere()
    {
        var level = Broker.Services.GetRequiredService<IsolationCatalog>().Levels.Single(l => l.Level == IsolationLevels.Gvisor);
        Assert.Contains("runsc", level.Reason);
        return level.Available;
    }

    [Fact]
    public async Task Commands_run_in_gvisors_own_kernel_with_exit_code_output_stdin_and_no_host_process_in_sight()
    {
        if (!GvisorHere())
        {
            return;
        }
        var client = Broker.ClientFor("gv-exec");
        var sandbox = await client.CreateSandboxAsync(new { isolation = "gvisor" });

        var result = await client.ExecAsync(sandbox.Id, ["/bin/sh", "-c", "tr a-z A-Z; echo oops >&2; cat /proc/version; ps -e --no-headers | wc -l; id -u; exit 3"],
            stdin: "hello\n");

        Assert.Equal("gvisor", sandbox.Isolation);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("oops\n", result.Stderr);
        var lines = result.Stdout.Split('\n');
        Assert.Equal("HELLO", lines[0]);
        Assert.NotEqual(File.ReadAllText("/proc/version").Trim(), lines[1]);
        Assert.InRange(int.Parse(lines[2], CultureInfo.InvariantCulture), 1, 10);
        Assert.Equal(Broker.SlotOf("gv-exec", sandbox.Id).Uid.ToString(CultureInfo.InvariantCulture), lines[3]);
    }

    [Fact]
    public async Task Ls_and_stat_work_inside_gvisor_with_the_statx_shim_and_a_tenant_preload_is_kept()
    {
        if (!GvisorHere())
        {
            return;
        }
        // eng/prereqs.sh builds the shim on every machine that runs these tests.
        Assert.True(StatxCompat.Present, $"{StatxCompat.LibraryPath} is missing: run eng/prereqs.sh");
        var client = Broker.ClientFor("gv-statx");
        var sandbox = await client.CreateSandboxAsync(new { isolation = "gvisor" });

        var result = await client.ExecAsync(sandbox.Id, ["/bin/sh", "-c", "echo hi > /workspace/f.txt; ls /workspace; stat -c %s /workspace/f.txt; echo \"$LD_PRELOAD\""],
            env: new Dictionary<string, string> { ["LD_PRELOAD"] = "libtenant.so" });

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(["f.txt", "3", $"{StatxCompat.LibraryPath}:libtenant.so"], result.Stdout.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task A_warm_slot_is_already_booted_and_execs_run_inside_that_same_sandbox()
    {
        if (!GvisorHere())
        {
            return;
        }
        var pool = new PoolKey(IsolationLevels.Gvisor, SandboxTemplate.DefaultName, null);
        await IsolationTests.WaitUntil(() => Broker.Pools.Count(pool) > 0);
        var client = Broker.ClientFor("gv-warm");

        var sandbox = await client.CreateSandboxAsync(new { isolation = "gvisor" });
        var slot = Broker.SlotOf("gv-warm", sandbox.Id);
        var before = SandboxProcesses.OnHost(Broker, slot);
        var first = await client.ShAsync(sandbox.Id, "echo one");
        var second = await client.ShAsync(sandbox.Id, "echo two");

        Assert.True(sandbox.Warm);
        Assert.NotEmpty(before);
        Assert.Equal(("one\n", "two\n"), (first.Stdout, second.Stdout));
        Assert.Subset(SandboxProcesses.OnHost(Broker, slot).ToHashSet(), before.ToHashSet());
    }

    [Fact]
    public async Task Env_and_run_key_never_reach_a_host_command_line_and_the_process_file_is_gone_once_read()
    {
        if (!GvisorHere())
        {
            return;
        }
        var client = Broker.ClientFor("gv-secret");
        var sandbox = await client.CreateSandboxAsync(new { isolation = "gvisor" });
        var secret = "ac_" + Guid.NewGuid().ToString("N");
        var bundle = Broker.Gvisor().Bundle(Broker.SlotOf("gv-secret", sandbox.Id));

        var exec = client.ExecAsync(sandbox.Id, ["/bin/sh", "-c", "sleep 2; echo \"$SECRET\""], env: new() { ["SECRET"] = secret });
        var seen = new List<string>();
        while (!exec.IsCompleted)
        {
            seen.AddRange(CommandLinesContaining(secret));
            await Task.Delay(20);
        }

        Assert.Equal(secret + "\n", (await exec).Stdout);
        Assert.True(seen.Count == 0, "secret on a command line: " + string.Join("\n", seen.Distinct()));
        Assert.Empty(Directory.EnumerateFiles(bundle, "exec-*"));
    }

    [Fact]
    public async Task A_timeout_kills_every_process_of_the_exec_even_one_in_its_own_session()
    {
        if (!GvisorHere())
        {
            return;
        }
        var client = Broker.ClientFor("gv-timeout");
        var sandbox = await client.CreateSandboxAsync(new { isolation = "gvisor" });
        var slot = Broker.SlotOf("gv-timeout", sandbox.Id);

        var result = await client.ShUntilTimedOutAfterAsync(sandbox.Id, "setsid sleep 300 & sleep 300 & echo started; sleep 300", "started");

        Assert.True(result.TimedOut);
        Assert.Contains("started", result.Stdout);
        await IsolationTests.WaitUntil(() => SandboxProcesses.TenantCommands(Broker, slot).Count == 0);
        Assert.Equal("alive\n", (await client.ShAsync(sandbox.Id, "echo alive")).Stdout);
    }

    [Fact]
    public async Task What_an_exec_leaves_running_ends_with_it_as_under_bubblewrap()
    {
        if (!GvisorHere())
        {
            return;
        }
        var client = Broker.ClientFor("gv-leftover");
        var sandbox = await client.CreateSandboxAsync(new { isolation = "gvisor" });
        var slot = Broker.SlotOf("gv-leftover", sandbox.Id);

        var result = await client.ShAsync(sandbox.Id, "setsid sleep 300 & (sleep 300 &); echo left");

        Assert.Equal(0, result.ExitCode);
        await IsolationTests.WaitUntil(() => SandboxProcesses.TenantCommands(Broker, slot).Count == 0);
    }

    [Fact]
    public async Task Files_put_through_the_api_are_seen_inside_and_files_made_inside_are_downloaded()
    {
        if (!GvisorHere())
        {
            return;
        }
        var client = Broker.ClientFor("gv-files");
        var sandbox = await client.CreateSandboxAsync(new { isolation = "gvisor" });

        using var put = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/in/data.txt", new StringContent("from the api"));
        var inside = await client.ShAsync(sandbox.Id, "cat in/data.txt; echo made inside > out.txt");
        var downloaded = await client.GetStringAsync($"/v1/sandboxes/{sandbox.Id}/files/out.txt");

        Assert.True(put.IsSuccessStatusCode, $"{(int)put.StatusCode}");
        Assert.Equal("from the api", inside.Stdout);
        Assert.Equal("made inside\n", downloaded);
    }

    [Fact]
    public async Task A_recycled_slot_gets_a_fresh_sandbox_and_keeps_nothing_of_the_previous_tenant()
    {
        if (!GvisorHere())
        {
            return;
        }
        var first = Broker.ClientFor("gv-recycle-a");
        var used = await first.CreateSandboxAsync(new { isolation = "gvisor" });
        var slot = Broker.SlotOf("gv-recycle-a", used.Id);
        var oldSandbox = SandboxProcesses.OnHost(Broker, slot);
        await first.ShAsync(used.Id, "echo a > /workspace/a; echo a > /tmp/a; echo a > /dev/shm/a");
        using (var deleted = await first.DeleteAsync($"/v1/sandboxes/{used.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.True(Broker.Pools.Contains(slot.SlotId), "the slot passed its scan and went back to the pool");
        Assert.NotEmpty(SandboxProcesses.OnHost(Broker, slot));
        Assert.Empty(SandboxProcesses.OnHost(Broker, slot).Intersect(oldSandbox));

        var second = Broker.ClientFor("gv-recycle-b");
        var next = await second.CreateSandboxAsync(new { isolation = "gvisor" });
        // find, not ls: this runsc refuses the statx flag coreutils' ls passes, and a failing ls would see nothing.
        var seen = await second.ShAsync(next.Id, "find /workspace /tmp /dev/shm -mindepth 1 || echo LISTING-FAILED; ps -o comm= -u $(id -u)");

        Assert.Equal(slot.SlotId, Broker.SlotOf("gv-recycle-b", next.Id).SlotId);
        Assert.DoesNotContain("LISTING-FAILED", seen.Stdout);
        Assert.DoesNotContain("a", seen.Stdout.Split('\n').Select(Path.GetFileName));
        Assert.DoesNotContain("sleep", seen.Stdout);
    }

    private static readonly SandboxSlot UnitSlot = new("sunit", 612345, "gvisor", "default", "/srv/sbx/tenants/t/sunit", new PoolKey("gvisor", "default", null));

    [Fact]
    public void Each_exec_is_a_process_document_with_the_slots_uid_no_capability_and_its_own_pid_namespace()
    {
        var spec = new ExecSpec(["python3", "main.py"], new Dictionary<string, string> { ["AGENTCLOUD_KEY"] = "ac_secret", ["HOME"] = "/workspace" }, "/s/egress.sock");

        var process = GvisorSpec.Process(spec, new SandboxLimits(), 612345);

        Assert.Equal(612345, (int)process["user"]!["uid"]!);
        Assert.True((bool)process["noNewPrivileges"]!);
        Assert.All(new[] { "bounding", "effective", "permitted", "inheritable", "ambient" }, set => Assert.Empty(process["capabilities"]![set]!.AsArray()));
        var args = process["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Equal(GvisorSpec.PerExecNamespace, args.Take(GvisorSpec.PerExecNamespace.Length));
        Assert.Contains(BubblewrapBackend.ForwarderScript, args);
        Assert.Equal(["python3", "main.py"], args.TakeLast(2));
        var env = process["env"]!.AsArray().Select(e => (string)e!).ToList();
        Assert.Contains("AGENTCLOUD_KEY=ac_secret", env);
        Assert.Contains("https_proxy=http://127.0.0.1:3128", env);
        Assert.Contains("RLIMIT_NPROC", process["rlimits"]!.AsArray().Select(r => (string)r!["type"]!));
    }

    [Fact]
    public void The_slot_container_has_a_read_only_root_and_usr_no_network_device_and_the_egress_folder_bound_read_only()
    {
        var container = GvisorSpec.Container(UnitSlot, "/srv/sbx/gvisor/rootfs", "/run/eg/sunit", new SandboxLimits(), 612345);

        Assert.True((bool)container["root"]!["readonly"]!);
        var mounts = container["mounts"]!.AsArray().ToDictionary(m => (string)m!["destination"]!, m => m!);
        Assert.Contains("ro", mounts["/usr"]["options"]!.AsArray().Select(o => (string)o!));
        Assert.Equal("/srv/sbx/tenants/t/sunit/workspace", (string)mounts["/workspace"]["source"]!);
        Assert.Equal("/srv/sbx/tenants/t/sunit/tmp", (string)mounts["/tmp"]["source"]!);
        Assert.Equal("/run/eg/sunit", (string)mounts[GvisorSpec.EgressFolderInside]["source"]!);
        Assert.Contains("ro", mounts[GvisorSpec.EgressFolderInside]["options"]!.AsArray().Select(o => (string)o!));
        Assert.Contains("network", container["linux"]!["namespaces"]!.AsArray().Select(n => (string)n!["type"]!));
        Assert.Equal(0, (int)container["process"]!["user"]!["uid"]!);
    }

    [Fact]
    public void An_exec_launch_carries_no_environment_value_and_writes_its_process_file_owner_only()
    {
        var root = BrokerFactory.NewRoot();
        try
        {
            var backend = new GvisorBackend(Microsoft.Extensions.Options.Options.Create(new SandboxBrokerOptions { Root = root }), new HostProbe());
            Directory.CreateDirectory(backend.Bundle(UnitSlot));
            var spec = new ExecSpec(["true"], new Dictionary<string, string> { ["AGENTCLOUD_KEY"] = "ac_do_not_show" }, null);

            var launch = backend.BuildLaunch(UnitSlot, spec);

            Assert.DoesNotContain(launch.Arguments, a => a.Contains("ac_do_not_show", StringComparison.Ordinal));
            var file = Assert.Single(Directory.EnumerateFiles(backend.Bundle(UnitSlot), "exec-*.json"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Contains("ac_do_not_show", File.ReadAllText(file));
            Assert.Equal(file, launch.Arguments[4]);
            Assert.Contains("/dev/fd/3", launch.Arguments);
            launch.Completed!(false);
            Assert.False(File.Exists(file));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Sandboxes_a_previous_broker_run_left_behind_are_killed_at_the_next_start()
    {
        if (!GvisorHere())
        {
            return;
        }
        var root = BrokerFactory.NewRoot();
        var options = Microsoft.Extensions.Options.Options.Create(new SandboxBrokerOptions { Root = root });
        var slot = new SandboxSlot("sorphan" + Guid.NewGuid().ToString("N")[..6], 612_999, "gvisor", "default", Path.Combine(root, "warm", "s"),
            new PoolKey("gvisor", "default", null));
        Directory.CreateDirectory(slot.Workspace);
        Directory.CreateDirectory(slot.Tmp);
        try
        {
            var crashed = new GvisorBackend(options, new HostProbe());
            crashed.Start(slot);
            Assert.NotEmpty(RunscProcesses.Find(crashed.RunscFor(slot).StateRoot));

            var reclaimed = new GvisorBackend(options, new HostProbe()).ReclaimOrphans();

            Assert.Equal(1, reclaimed);
            Assert.Empty(RunscProcesses.Find(crashed.RunscFor(slot).StateRoot));
            Assert.False(Directory.Exists(crashed.RunscFor(slot).StateRoot));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Probe_without_runsc_says_so()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new SandboxBrokerOptions { Root = BrokerFactory.NewRoot() });

        var availability = new GvisorBackend(options, new NoBinaries()).Probe();

        Assert.False(availability.Available);
        Assert.Contains("runsc", availability.Reason);
    }

    private sealed class NoBinaries : HostProbe
    {
        public override bool OnPath(string program, out string path)
        {
            path = "";
            return false;
        }
    }

    private static IEnumerable<string> CommandLinesContaining(string secret)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])))
        {
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (IOException)
            {
                continue;
            }
            if (cmdline.Contains(secret, StringComparison.Ordinal))
            {
                yield return cmdline.Replace('\0', ' ');
            }
        }
    }
}
