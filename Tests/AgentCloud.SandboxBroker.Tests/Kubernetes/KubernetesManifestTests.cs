using System.Text.Json.Nodes;
using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Kubernetes;
using k8s;

namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>The objects the kubernetes level applies, asserted on their JSON as the API server would receive it.</summary>
public sealed class KubernetesManifestTests
{
    private static readonly KubernetesSandboxOptions Options = new() { Namespace = "sbx-ns", Image = "example.test/sandbox:1", EgressProxyAddress = "10.0.0.7" };

    private static SandboxManifests Manifests => new(Options);

    private static decimal Quantity(JsonNode value) => new k8s.Models.ResourceQuantity(value.GetValue<string>()).ToDecimal();

    private static JsonNode Json(object model) => JsonNode.Parse(KubernetesJson.Serialize(model))!;

    [Theory]
    [InlineData("free")]
    [InlineData("pro")]
    [InlineData("enterprise")]
    public void Each_tier_gets_a_template_whose_pod_is_hardened_and_sized_by_the_tier(string tier)
    {
        var template = Manifests.Template(tier, "gvisor");

        Assert.Equal("extensions.agents.x-k8s.io/v1alpha1", template["apiVersion"]!.GetValue<string>());
        Assert.Equal("SandboxTemplate", template["kind"]!.GetValue<string>());
        Assert.Equal($"agentcloud-{tier}", template["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("sbx-ns", template["metadata"]!["namespace"]!.GetValue<string>());
        var pod = template["spec"]!["podTemplate"]!;
        Assert.Equal("true", pod["metadata"]!["labels"]!["agentcloud.dev/sandbox"]!.GetValue<string>());
        var spec = pod["spec"]!;
        Assert.Equal("gvisor", spec["runtimeClassName"]!.GetValue<string>());
        Assert.False(spec["automountServiceAccountToken"]!.GetValue<bool>());
        Assert.False(spec["enableServiceLinks"]!.GetValue<bool>());
        Assert.True(spec["securityContext"]!["runAsNonRoot"]!.GetValue<bool>());
        Assert.NotEqual(0, spec["securityContext"]!["runAsUser"]!.GetValue<long>());
        Assert.Equal("RuntimeDefault", spec["securityContext"]!["seccompProfile"]!["type"]!.GetValue<string>());
        var container = Assert.Single(spec["containers"]!.AsArray())!;
        Assert.Equal("example.test/sandbox:1", container["image"]!.GetValue<string>());
        var security = container["securityContext"]!;
        Assert.True(security["readOnlyRootFilesystem"]!.GetValue<bool>());
        Assert.False(security["allowPrivilegeEscalation"]!.GetValue<bool>());
        Assert.False(security["privileged"]!.GetValue<bool>());
        Assert.True(security["runAsNonRoot"]!.GetValue<bool>());
        Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Null(security["capabilities"]!["add"]);
        Assert.Equal("RuntimeDefault", security["seccompProfile"]!["type"]!.GetValue<string>());
        var limits = Options.Tiers[tier];
        Assert.Equal(limits.CpuMillicores / 1000m, Quantity(container["resources"]!["limits"]!["cpu"]!));
        Assert.Equal(limits.MemoryBytes, Quantity(container["resources"]!["limits"]!["memory"]!));
        Assert.Equal(limits.WorkspaceBytes, Quantity(container["resources"]!["limits"]!["ephemeral-storage"]!));
        Assert.Equal(container["resources"]!["limits"]!.ToJsonString(), container["resources"]!["requests"]!.ToJsonString());
        // The read-only root leaves exactly two writable places, both bounded.
        var volumes = spec["volumes"]!.AsArray().ToDictionary(v => v!["name"]!.GetValue<string>(), v => Quantity(v!["emptyDir"]!["sizeLimit"]!));
        Assert.Equal(new Dictionary<string, decimal> { ["workspace"] = limits.WorkspaceBytes, ["tmp"] = limits.TmpBytes }, volumes);
        Assert.False(spec["hostNetwork"]?.GetValue<bool>() ?? false);
        Assert.False(spec["hostPID"]?.GetValue<bool>() ?? false);
    }

    [Fact]
    public void Template_pods_reach_the_proxy_by_address_and_carry_no_secret()
    {
        var container = Manifests.Template("pro", "kata")["spec"]!["podTemplate"]!["spec"]!["containers"]![0]!;

        var env = container["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>());
        Assert.Equal("http://10.0.0.7:3128", env["HTTPS_PROXY"]);
        Assert.Equal("http://10.0.0.7:3128", env["HTTP_PROXY"]);
        Assert.DoesNotContain(env.Keys, k => k.StartsWith("AGENTCLOUD_", StringComparison.Ordinal));
        Assert.Null(container["envFrom"]);
    }

    [Fact]
    public void Without_a_proxy_address_template_pods_get_no_proxy_variables()
    {
        var manifests = new SandboxManifests(new KubernetesSandboxOptions());

        var env = manifests.Template("free", null)["spec"]!["podTemplate"]!["spec"]!["containers"]![0]!["env"]!.AsArray();

        Assert.DoesNotContain(env, e => e!["name"]!.GetValue<string>().Contains("PROXY", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Network_policy_denies_everything_but_tcp_to_the_brokers_proxy_port()
    {
        var policy = Json(Manifests.NetworkPolicy());

        Assert.Equal("networking.k8s.io/v1", policy["apiVersion"]!.GetValue<string>());
        Assert.Equal("NetworkPolicy", policy["kind"]!.GetValue<string>());
        var spec = policy["spec"]!;
        Assert.Equal("{\"agentcloud.dev/sandbox\":\"true\"}", spec["podSelector"]!["matchLabels"]!.ToJsonString());
        Assert.Equal(["Ingress", "Egress"], spec["policyTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Empty(spec["ingress"]!.AsArray());
        var rule = Assert.Single(spec["egress"]!.AsArray())!;
        var peer = Assert.Single(rule["to"]!.AsArray())!;
        Assert.Equal("{\"app.kubernetes.io/name\":\"sandbox-broker\"}", peer["podSelector"]!["matchLabels"]!.ToJsonString());
        Assert.Null(peer["ipBlock"]);
        var port = Assert.Single(rule["ports"]!.AsArray())!;
        Assert.Equal("TCP", port["protocol"]!.GetValue<string>());
        Assert.Equal("3128", port["port"]!.ToJsonString().Trim('"'));
    }

    [Fact]
    public void The_templates_own_network_policy_is_the_same_single_way_out()
    {
        var templatePolicy = Manifests.Template("free", "gvisor")["spec"]!["networkPolicy"]!;

        Assert.Empty(templatePolicy["ingress"]!.AsArray());
        Assert.Equal(Json(Manifests.NetworkPolicy())["spec"]!["egress"]!.ToJsonString(), templatePolicy["egress"]!.ToJsonString());
    }

    [Fact]
    public void Claim_names_its_tier_template_and_labels_the_tenant_by_hash_only()
    {
        var expires = new DateTimeOffset(2026, 12, 1, 17, 0, 0, TimeSpan.Zero);

        var claim = Manifests.Claim("sbx_0123abcd", "tenant-secretive-name", "pro", dedicated: false, expires, "broker-host-1");

        Assert.Equal("SandboxClaim", claim["kind"]!.GetValue<string>());
        Assert.Equal("agentcloud-sbx-0123abcd", claim["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("agentcloud-pro", claim["spec"]!["sandboxTemplateRef"]!["name"]!.GetValue<string>());
        Assert.Equal("default", claim["spec"]!["warmpool"]!.GetValue<string>());
        Assert.Equal("2026-12-01T17:00:00Z", claim["spec"]!["lifecycle"]!["shutdownTime"]!.GetValue<string>());
        Assert.Equal("Delete", claim["spec"]!["lifecycle"]!["shutdownPolicy"]!.GetValue<string>());
        var labels = claim["metadata"]!["labels"]!;
        Assert.Equal(SandboxLabels.HashOf("tenant-secretive-name"), labels["agentcloud.dev/tenant-hash"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{32}$", labels["agentcloud.dev/tenant-hash"]!.GetValue<string>());
        Assert.Equal("broker-host-1", labels["agentcloud.dev/owner-host"]!.GetValue<string>());
        Assert.Equal("agentcloud-sandbox-broker", labels["app.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.DoesNotContain("tenant-secretive-name", claim.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_dedicated_tenant_gets_its_own_warm_pool_and_its_claims_adopt_only_from_it()
    {
        var poolA = Manifests.DedicatedWarmPool("enterprise", "tenant-a");
        var poolB = Manifests.DedicatedWarmPool("enterprise", "tenant-b");
        var claim = Manifests.Claim("sbx_1", "tenant-a", "enterprise", dedicated: true, DateTimeOffset.UnixEpoch, "host");

        Assert.Equal("SandboxWarmPool", poolA["kind"]!.GetValue<string>());
        Assert.NotEqual(poolA["metadata"]!["name"]!.GetValue<string>(), poolB["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("agentcloud-enterprise", poolA["spec"]!["sandboxTemplateRef"]!["name"]!.GetValue<string>());
        Assert.Equal(Options.DedicatedWarmPoolSize, poolA["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(SandboxLabels.HashOf("tenant-a"), poolA["metadata"]!["labels"]!["agentcloud.dev/tenant-hash"]!.GetValue<string>());
        Assert.Equal(poolA["metadata"]!["name"]!.GetValue<string>(), claim["spec"]!["warmpool"]!.GetValue<string>());
        Assert.DoesNotContain("tenant-a", poolA.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Each_tier_gets_a_shared_warm_pool_of_its_configured_size()
    {
        foreach (var (tier, limits) in Options.Tiers)
        {
            var pool = Manifests.SharedWarmPool(tier);

            Assert.Equal($"agentcloud-{tier}-shared", pool["metadata"]!["name"]!.GetValue<string>());
            Assert.Equal(limits.WarmPoolSize, pool["spec"]!["replicas"]!.GetValue<int>());
            Assert.Equal($"agentcloud-{tier}", pool["spec"]!["sandboxTemplateRef"]!["name"]!.GetValue<string>());
            Assert.Null(pool["metadata"]!["labels"]!["agentcloud.dev/tenant-hash"]);
        }
    }

    [Fact]
    public void An_unknown_tier_is_refused_naming_the_configured_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => Manifests.Template("platinum", "gvisor"));

        Assert.Contains("free, pro, enterprise", e.Message);
    }

    [Theory]
    [InlineData("sbx_ABC_def", "sbx-abc-def")]
    [InlineData("host.example.com", "host-example-com")]
    [InlineData("--x--", "x")]
    public void Names_are_made_valid_dns_labels(string value, string expected) => Assert.Equal(expected, SandboxLabels.NamePart(value));

    [Fact]
    public void Environment_travels_as_quoted_exports_and_a_hostile_value_stays_one_value()
    {
        var script = PodExec.EnvironmentScript(new Dictionary<string, string> { ["A"] = "x'; rm -rf / #", ["B_2"] = "$(id)" });

        Assert.Equal("export A='x'\\''; rm -rf / #'\nexport B_2='$(id)'\n", script);
        Assert.Throws<ArgumentException>(() => PodExec.EnvironmentScript(new Dictionary<string, string> { ["A;id"] = "1" }));
        Assert.Throws<ArgumentException>(() => PodExec.EnvironmentScript(new Dictionary<string, string> { ["1A"] = "1" }));
    }
}
