using System.Text.Json;
using AgentCloud.SandboxBroker.Limits;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>How the broker decides whether cgroup v2 limits are possible, and what it says when they are not.</summary>
[Collection(BrokerCollection.Name)]
public sealed class CgroupProbeTests(BrokerFixture fixture)
{
    private const string HybridMountinfo = """
30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
""";

    [Fact]
    public void The_cgroup2_mount_and_the_brokers_own_group_are_read_from_proc()
    {
        Assert.Equal("/sys/fs/cgroup/unified", CgroupProbe.FindMount(HybridMountinfo));
        Assert.Equal("/system.slice/agentcloud.service", CgroupProbe.OwnGroup("4:memory:/x\n0::/system.slice/agentcloud.service\n"));
        Assert.Null(CgroupProbe.FindMount("30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"));
    }

    [Fact]
    public void A_host_with_cgroup_v1_only_is_unavailable_and_says_so()
    {
        var support = CgroupProbe.Probe("34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n", "4:memory:/\n", null);

        Assert.False(support.Available);
        Assert.Contains("no cgroup2", support.Reason);
    }

    [Fact]
    public void A_cgroup2_mount_without_the_controllers_is_unavailable_and_names_the_missing_ones()
    {
        var mount = Path.Combine(Path.GetTempPath(), "fake-cgroup2-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(mount);
        try
        {
            File.WriteAllText(Path.Combine(mount, "cgroup.controllers"), "cpu io\n");

            var support = CgroupProbe.Probe($"40 30 0:37 / {mount} rw,relatime - cgroup2 cgroup2 rw\n", "0::/\n", null);

            Assert.False(support.Available);
            Assert.Contains("without memory, pids", support.Reason);
            Assert.False(Directory.Exists(Path.Combine(mount, CgroupProbe.GroupName)));
        }
        finally
        {
            Directory.Delete(mount, recursive: true);
        }
    }

    [Fact]
    public void A_configured_parent_outside_the_cgroup2_mount_is_refused()
    {
        var support = CgroupProbe.Probe(HybridMountinfo, "0::/\n", "/etc");

        Assert.False(support.Available);
        Assert.Contains("not inside the cgroup2 mount", support.Reason);
    }

    [Fact]
    public void On_this_hybrid_host_cgroup_v2_is_unavailable_because_the_controllers_are_bound_to_v1()
    {
        var support = CgroupProbe.Probe(null);

        Assert.False(support.Available);
        Assert.Contains("/sys/fs/cgroup/unified", support.Reason);
        Assert.Contains("without memory, pids, cpu", support.Reason);
        Assert.False(Directory.Exists("/sys/fs/cgroup/unified/" + CgroupProbe.GroupName));
    }

    [Fact]
    public async Task Capabilities_and_health_report_cgroup_v2_unavailable_with_the_reason_and_rlimits_in_force()
    {
        var client = fixture.Broker.ClientFor("cgroup-caps");

        using var caps = JsonDocument.Parse(await client.GetStringAsync("/v1/sandboxes/capabilities"));
        var health = await (await fixture.Broker.CreateClient().GetAsync("/health")).Content.ReadAsStringAsync();

        var cgroup = caps.RootElement.GetProperty("cgroupV2");
        Assert.False(cgroup.GetProperty("available").GetBoolean());
        Assert.Contains("without memory, pids, cpu", cgroup.GetProperty("reason").GetString());
        Assert.StartsWith("rlimits per process", caps.RootElement.GetProperty("limits").GetString());
        Assert.Contains("cgroup v2 unavailable", health);
    }

    [Theory]
    [InlineData("bubblewrap")]
    [InlineData("namespace")]
    public async Task Rlimits_apply_inside_a_sandbox_when_cgroups_are_unavailable(string level)
    {
        var client = fixture.Broker.ClientFor("cgroup-rlimits");
        var sandbox = await client.CreateSandboxAsync(new { isolation = level });

        var limits = await client.ShAsync(sandbox.Id, "cat /proc/self/limits");

        var defaults = new SandboxLimits();
        Assert.Matches($@"Max cpu time\s+{defaults.CpuSeconds}\s+{defaults.CpuSeconds}\s+seconds", limits.Stdout);
        Assert.Matches($@"Max processes\s+{defaults.MaxProcesses}\s+{defaults.MaxProcesses}\s+processes", limits.Stdout);
        Assert.Matches($@"Max open files\s+{defaults.OpenFiles}\s+{defaults.OpenFiles}\s+files", limits.Stdout);
        Assert.Matches($@"Max address space\s+{defaults.AddressSpaceBytes}\s+{defaults.AddressSpaceBytes}\s+bytes", limits.Stdout);
        Assert.Null(fixture.Broker.Manager.Find("cgroup-rlimits", sandbox.Id)!.Cgroup);
        await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
    }
}
