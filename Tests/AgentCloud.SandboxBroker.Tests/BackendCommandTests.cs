using AgentCloud.SandboxBroker.Egress;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>How each rung of the ladder builds its command, and how the ladder chooses; no process is started.</summary>
public sealed class BackendCommandTests
{
    private static readonly IOptions<SandboxBrokerOptions> Options = Microsoft.Extensions.Options.Options.Create(new SandboxBrokerOptions
    {
        FirecrackerKernelImage = "/images/vmlinux", FirecrackerRootfsImage = "/images/rootfs.ext4",
    });

    private static readonly SandboxSlot Slot = new("sabc", 612345, "bubblewrap", "default", "/srv/sbx/tenants/t/sabc", new PoolKey("bubblewrap", "default", null));

    private static readonly ExecSpec Spec = new(["python3", "main.py"], new Dictionary<string, string> { ["PATH"] = "/usr/bin", ["HOME"] = "/workspace" }, null);

    private sealed class NothingInstalled : HostProbe
    {
        public override bool OnPath(string program, out string path)
        {
            path = "";
            return false;
        }

        public override bool DeviceUsable(string device) => false;
    }

    private sealed class EverythingButKvm : HostProbe
    {
        public override bool OnPath(string program, out string path)
        {
            path = "/usr/bin/" + program;
            return true;
        }

        public override bool DeviceUsable(string device) => false;
    }

    [Fact]
    public void Bubblewrap_command_unshares_everything_binds_only_usr_workspace_and_tmp_and_runs_as_the_slot_uid()
    {
        var launch = new BubblewrapBackend(Options, new HostProbe()).BuildLaunch(Slot, Spec);
        var args = launch.Arguments.ToList();

        Assert.Equal("setsid", launch.FileName);
        Assert.Contains("--unshare-all", args);
        Assert.DoesNotContain("--share-net", args);
        Assert.Contains("--die-with-parent", args);
        Assert.Contains("--disable-userns", args);
        Assert.Equal("3", args[args.IndexOf("--args") + 1]);
        Assert.StartsWith("--clearenv\0--setenv\0", launch.Handoff!.Content);
        Assert.DoesNotContain(args, a => a.Contains("PATH", StringComparison.Ordinal) || a == "--setenv");
        Assert.Equal("/usr", args[args.IndexOf("--ro-bind") + 1]);
        Assert.Equal("/srv/sbx/tenants/t/sabc/workspace", args[args.IndexOf("/workspace") - 1]);
        Assert.Contains("/srv/sbx/tenants/t/sabc/tmp", args);
        Assert.Contains("--nproc=256", args);
        Assert.Equal(["python3", "main.py"], args.Skip(args.LastIndexOf("--") + 1));
        if (LaunchPrefix.BrokerIsRoot)
        {
            Assert.Contains("--reuid=612345", args);
        }
    }

    [Fact]
    public void Bubblewrap_with_egress_binds_the_proxy_socket_and_points_the_proxy_variables_at_the_forwarder()
    {
        var launch = new BubblewrapBackend(Options, new HostProbe()).BuildLaunch(Slot, Spec with { EgressSocket = "/srv/sbx/sockets/x.sock" });
        var args = launch.Arguments.ToList();

        Assert.Contains(BubblewrapBackend.EgressSocketInside, args);
        Assert.Contains("--setenv\0https_proxy\0http://127.0.0.1:3128\0", launch.Handoff!.Content);
        Assert.Contains(BubblewrapBackend.ForwarderScript, args);
        Assert.Equal(["python3", "main.py"], args.TakeLast(2));
    }

    [Fact]
    public void Gvisor_is_unavailable_without_runsc_and_says_so()
    {
        var availability = new GvisorBackend(Options, new NothingInstalled()).Probe();

        Assert.False(availability.Available);
        Assert.Contains("runsc", availability.Reason);
    }

    [Fact]
    public void Firecracker_is_unavailable_without_kvm_and_says_so()
    {
        Assert.Contains("firecracker", new FirecrackerBackend(Options, new NothingInstalled()).Probe().Reason);
        var noKvm = new FirecrackerBackend(Options, new EverythingButKvm()).Probe();
        Assert.False(noKvm.Available);
        Assert.Contains("/dev/kvm", noKvm.Reason);
    }

    [Fact]
    public void Namespace_command_unshares_user_pid_mount_and_net_and_enters_the_workspace()
    {
        var launch = new NamespaceBackend(Options, new HostProbe()).BuildLaunch(Slot, Spec);

        Assert.Contains("unshare", launch.Arguments);
        foreach (var flag in new[] { "--user", "--pid", "--mount", "--net", "--fork", "--cgroup" })
        {
            Assert.Contains(flag, launch.Arguments);
        }
        Assert.Contains("/srv/sbx/tenants/t/sabc/root", launch.Arguments);
        Assert.Contains("pivot_root", NamespaceBackend.SetupScript);
        Assert.Contains("export HOME='/workspace'", launch.Handoff!.Content);
        Assert.DoesNotContain(launch.Arguments, a => a.Contains("HOME=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "bubblewrap", "namespace" }, null, "bubblewrap")]
    [InlineData(new[] { "namespace", "bubblewrap" }, null, "bubblewrap")]
    [InlineData(new[] { "gvisor", "namespace" }, null, "namespace")]
    [InlineData(new[] { "bubblewrap", "namespace" }, "namespace", "namespace")]
    [InlineData(new[] { "bubblewrap" }, "none", null)]
    [InlineData(new[] { "bubblewrap" }, "namespace", null)]
    [InlineData(new[] { "namespace" }, "bubblewrap", "bubblewrap")]
    [InlineData(new[] { "firecracker", "gvisor" }, null, null)]
    public void Ladder_picks_the_strongest_available_level_the_tier_accepts(string[] accepted, string? requested, string? expected)
    {
        var catalog = new IsolationCatalog(
            [new FirecrackerBackend(Options, new NothingInstalled()), new GvisorBackend(Options, new NothingInstalled()), new Fixed("bubblewrap"), new Fixed("namespace"), new Fixed("none")],
            Options);

        Assert.Equal(expected, catalog.Choose(accepted, requested));
    }

    private sealed class Fixed(string level) : ISandboxBackend
    {
        public string Level => level;

        public BackendAvailability Probe() => new(level, true, "test");

        public ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec) => new("true", []);
    }

    [Theory]
    [InlineData(new[] { "bubblewrap", "namespace" }, "firecracker,gvisor,bubblewrap,namespace")]
    [InlineData(new[] { "gvisor", "bubblewrap" }, "firecracker,gvisor,bubblewrap")]
    [InlineData(new[] { "bubblewrap", "none" }, "firecracker,gvisor,bubblewrap,namespace,none")]
    public void A_tenant_may_ask_for_any_level_down_to_its_tier_floor_and_none_only_where_listed(string[] tier, string allowed)
    {
        Assert.Equal(allowed.Split(','), IsolationCatalog.Allowed(tier));
    }

    [Theory]
    [InlineData("api.github.com", true)]
    [InlineData("API.GitHub.com.", true)]
    [InlineData("github.com", false)]
    [InlineData("evil-api.github.com", false)]
    [InlineData("a.example.org", true)]
    [InlineData("a.b.example.org", true)]
    [InlineData("example.org", false)]
    [InlineData("example.org.evil.com", false)]
    [InlineData("badexample.org", false)]
    [InlineData("*.example.org", false)]
    [InlineData("", false)]
    public void Allowlist_matches_exact_names_and_subdomain_wildcards_only(string host, bool allowed)
    {
        var list = new DomainAllowlist(["api.github.com", "*.example.org"]);

        Assert.Equal(allowed, list.Allows(host));
    }

    [Fact]
    public void Empty_allowlist_denies_everything()
    {
        Assert.False(new DomainAllowlist([]).Allows("example.org"));
    }

    [Theory]
    [InlineData("CONNECT api.github.com:443 HTTP/1.1\r\nHost: api.github.com:443\r\n\r\n", "api.github.com", 443, true)]
    [InlineData("GET http://example.org:8080/a?b=1 HTTP/1.1\r\nHost: example.org\r\n\r\n", "example.org", 8080, false)]
    [InlineData("GET http://example.org/ HTTP/1.1\r\n\r\n", "example.org", 80, false)]
    public void Proxy_requests_are_parsed_to_their_target(string head, string host, int port, bool connect)
    {
        var request = ProxyRequest.Parse(head)!;

        Assert.Equal((host, port, connect), (request.Host, request.Port, request.IsConnect));
    }

    [Theory]
    [InlineData("GET /relative HTTP/1.1\r\n\r\n")]
    [InlineData("GET https://example.org/ HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT example.org HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT example.org:99999 HTTP/1.1\r\n\r\n")]
    [InlineData("garbage")]
    public void Malformed_or_unsupported_proxy_requests_are_rejected(string head)
    {
        Assert.Null(ProxyRequest.Parse(head));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("140.82.112.3", true)]
    public void Proxy_never_connects_to_internal_addresses(string address, bool isPublic)
    {
        Assert.Equal(isPublic, EgressProxy.IsPublic(System.Net.IPAddress.Parse(address)));
    }
}
