using System.Text.Json;
using AgentCloud.SandboxBroker.Limits;
using Microsoft.Extensions.DependencyInjection;

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
    public void The_v2_probe_on_a_host_with_cgroup_v1_only_says_there_is_no_cgroup2()
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
    public void The_probe_takes_cgroup_v2_where_its_controllers_are_offered_else_v1_and_names_both_reasons_when_neither()
    {
        var mountinfo = File.ReadAllText("/proc/self/mountinfo");
        var own = File.ReadAllText("/proc/self/cgroup");
        var v2 = CgroupProbe.Probe(mountinfo, own, null);

        var support = CgroupProbe.Probe(null);

        if (v2.Available)
        {
            Assert.Equal(2, support.Version);
        }
        else if (CgroupV1Probe.Probe(mountinfo, own).Available)
        {
            Assert.True(support.Available);
            Assert.Equal(1, support.Version);
            Assert.Contains("cgroup v1", support.Reason);
        }
        else
        {
            Assert.False(support.Available);
            Assert.Contains("cgroup v2:", support.Reason);
            Assert.Contains("cgroup v1:", support.Reason);
        }
    }

    [Fact]
    public void A_hybrid_host_binds_memory_pids_and_cpu_to_v1_hierarchies_read_from_mountinfo()
    {
        const string mountinfo = """
            30 25 0:26 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            31 25 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            32 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            """;
        const string own = "4:memory:/process_api/x\n1:cpu,cpuacct:/\n0::/\n";

        Assert.Equal("/sys/fs/cgroup/memory", CgroupV1Probe.FindMount(mountinfo, "memory"));
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", CgroupV1Probe.FindMount(mountinfo, "cpu"));
        Assert.Null(CgroupV1Probe.FindMount(mountinfo, "pids"));
        Assert.Equal("/process_api/x", CgroupV1Probe.OwnGroup(own, "memory"));
        Assert.Equal("/", CgroupV1Probe.OwnGroup(own, "cpu"));
        Assert.Contains("pids", CgroupV1Probe.Probe(mountinfo, own).Reason);
    }

    [Fact]
    public async Task Capabilities_and_health_report_the_cgroups_in_force_with_the_reason()
    {
        var client = fixture.Broker.ClientFor("cgroup-caps");
        var limiter = fixture.Broker.Services.GetRequiredService<CgroupLimiter>();

        using var caps = JsonDocument.Parse(await client.GetStringAsync("/v1/sandboxes/capabilities"));
        var health = await (await fixture.Broker.CreateClient().GetAsync("/health")).Content.ReadAsStringAsync();

        var cgroup = caps.RootElement.GetProperty("cgroups");
        Assert.Equal(limiter.Enabled, cgroup.GetProperty("available").GetBoolean());
        Assert.Equal(limiter.Support.Reason, cgroup.GetProperty("reason").GetString());
        Assert.Equal(limiter.Describe(), caps.RootElement.GetProperty("limits").GetString());
        Assert.Contains(limiter.Enabled ? $"cgroup v{limiter.Support.Version} per sandbox" : "cgroups unavailable", health);
    }

    [Theory]
    [InlineData("bubblewrap")]
    [InlineData("namespace")]
    public async Task Rlimits_apply_inside_a_sandbox_besides_its_cgroups(string level)
    {
        var client = fixture.Broker.ClientFor("cgroup-rlimits");
        var sandbox = await client.CreateSandboxAsync(new { isolation = level });

        var limits = await client.ShAsync(sandbox.Id, "cat /proc/self/limits");

        var defaults = new SandboxLimits();
        Assert.Matches($@"Max cpu time\s+{defaults.CpuSeconds}\s+{defaults.CpuSeconds}\s+seconds", limits.Stdout);
        Assert.Matches($@"Max processes\s+{defaults.MaxProcesses}\s+{defaults.MaxProcesses}\s+processes", limits.Stdout);
        Assert.Matches($@"Max open files\s+{defaults.OpenFiles}\s+{defaults.OpenFiles}\s+files", limits.Stdout);
        Assert.Matches($@"Max address space\s+{defaults.AddressSpaceBytes}\s+{defaults.AddressSpaceBytes}\s+bytes", limits.Stdout);
        Assert.Equal(fixture.Broker.Services.GetRequiredService<CgroupLimiter>().Enabled, fixture.Broker.Manager.Find("cgroup-rlimits", sandbox.Id)!.Cgroup is not null);
        await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}");
    }
}
