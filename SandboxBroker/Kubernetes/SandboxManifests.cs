using System.Globalization;
using System.Text.Json.Nodes;
using AgentCloud.SandboxBroker.Extensions;
using k8s;
using k8s.Models;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>
/// The objects the broker keeps in its namespace: a SandboxTemplate and a shared SandboxWarmPool per tier, a warm pool
/// per dedicated tenant, a SandboxClaim per sandbox and one NetworkPolicy that lets sandbox pods reach nothing but the
/// broker's egress proxy. Pure: the same options give the same JSON.
/// </summary>
public sealed class SandboxManifests(KubernetesSandboxOptions options)
{
    public const string Container = "sandbox";
    public const string NetworkPolicyName = "agentcloud-sandboxes";

    private static readonly string[] ProxyVariables = ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"];

    public static string TemplateName(string tier) => $"agentcloud-{SandboxLabels.NamePart(tier)}";

    public static string SharedPoolName(string tier) => $"agentcloud-{SandboxLabels.NamePart(tier)}-shared";

    public static string DedicatedPoolName(string tier, string tenantId) => $"agentcloud-{SandboxLabels.NamePart(tier)}-t{SandboxLabels.HashOf(tenantId)[..16]}";

    public static string ClaimName(string sandboxId) => $"agentcloud-{SandboxLabels.NamePart(sandboxId)}";

    /// <summary>The tier's template: hardened pod, its runtime class (null where the cluster has none and runc is allowed), its resources.</summary>
    public JsonObject Template(string tier, string? runtimeClass) => new()
    {
        ["apiVersion"] = AgentSandboxApi.ApiVersion(AgentSandboxApi.ExtensionsGroup),
        ["kind"] = "SandboxTemplate",
        ["metadata"] = Metadata(TemplateName(tier), new() { [SandboxLabels.Tier] = tier }),
        ["spec"] = new JsonObject
        {
            ["podTemplate"] = PodTemplate(tier, runtimeClass),
            // The controller's own policy for the template's pods: the same single way out as the namespace policy.
            ["networkPolicy"] = new JsonObject { ["ingress"] = new JsonArray(), ["egress"] = ToJson(EgressRules()) },
        },
    };

    public JsonObject SharedWarmPool(string tier) =>
        WarmPool(SharedPoolName(tier), tier, Tier(tier).WarmPoolSize, new() { [SandboxLabels.Tier] = tier });

    /// <summary>A tenant's own warm pool: its sandboxes are never handed to anyone else.</summary>
    public JsonObject DedicatedWarmPool(string tier, string tenantId) =>
        WarmPool(DedicatedPoolName(tier, tenantId), tier, options.DedicatedWarmPoolSize,
            new() { [SandboxLabels.Tier] = tier, [SandboxLabels.TenantHash] = SandboxLabels.HashOf(tenantId) });

    /// <summary>
    /// One sandbox's claim: from its tier's template, adopted from the tenant's dedicated pool or any pool of the template,
    /// deleted by the controller at <paramref name="expiresAt"/> should the broker not be there to do it.
    /// </summary>
    public JsonObject Claim(string sandboxId, string tenantId, string tier, bool dedicated, DateTimeOffset expiresAt, string ownerHost) => new()
    {
        ["apiVersion"] = AgentSandboxApi.ApiVersion(AgentSandboxApi.ExtensionsGroup),
        ["kind"] = "SandboxClaim",
        ["metadata"] = Metadata(ClaimName(sandboxId), new()
        {
            [SandboxLabels.Tier] = tier,
            [SandboxLabels.TenantHash] = SandboxLabels.HashOf(tenantId),
            [SandboxLabels.SandboxId] = SandboxLabels.NamePart(sandboxId),
            [SandboxLabels.OwnerHost] = SandboxLabels.NamePart(ownerHost),
        }),
        ["spec"] = new JsonObject
        {
            ["sandboxTemplateRef"] = new JsonObject { ["name"] = TemplateName(tier) },
            ["warmpool"] = dedicated ? DedicatedPoolName(tier, tenantId) : "default",
            ["lifecycle"] = new JsonObject
            {
                ["shutdownTime"] = expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["shutdownPolicy"] = "Delete",
            },
        },
    };

    /// <summary>Default deny both ways for every sandbox pod, but for TCP to the broker's pods on the egress proxy's port.</summary>
    public V1NetworkPolicy NetworkPolicy() => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = new V1ObjectMeta { Name = NetworkPolicyName, NamespaceProperty = options.Namespace, Labels = new Dictionary<string, string> { [SandboxLabels.ManagedBy] = SandboxLabels.Broker } },
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [SandboxLabels.Sandbox] = "true" } },
            PolicyTypes = ["Ingress", "Egress"],
            Ingress = [],
            Egress = EgressRules(),
        },
    };

    private List<V1NetworkPolicyEgressRule> EgressRules() =>
    [
        new V1NetworkPolicyEgressRule
        {
            To = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(options.BrokerPodLabels) }, NamespaceSelector = new V1LabelSelector() }],
            Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = options.EgressProxyPort }],
        },
    ];

    private JsonObject WarmPool(string name, string tier, int replicas, Dictionary<string, string> labels) => new()
    {
        ["apiVersion"] = AgentSandboxApi.ApiVersion(AgentSandboxApi.ExtensionsGroup),
        ["kind"] = "SandboxWarmPool",
        ["metadata"] = Metadata(name, labels),
        ["spec"] = new JsonObject { ["replicas"] = replicas, ["sandboxTemplateRef"] = new JsonObject { ["name"] = TemplateName(tier) } },
    };

    private JsonObject PodTemplate(string tier, string? runtimeClass)
    {
        var limits = Tier(tier);
        var uid = (long)options.RunAsUser;
        var spec = new V1PodSpec
        {
            RuntimeClassName = runtimeClass,
            AutomountServiceAccountToken = false,
            EnableServiceLinks = false,
            HostNetwork = false,
            HostPID = false,
            HostIPC = false,
            RestartPolicy = "Never",
            SecurityContext = new V1PodSecurityContext
            {
                RunAsNonRoot = true, RunAsUser = uid, RunAsGroup = uid, FsGroup = uid,
                SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
            },
            Containers =
            [
                new V1Container
                {
                    Name = Container,
                    Image = options.Image,
                    // Idles until execs arrive through the pod API.
                    Command = ["sleep", "infinity"],
                    WorkingDir = "/workspace",
                    Env = ContainerEnvironment(),
                    Resources = new V1ResourceRequirements
                    {
                        Requests = Quantities(limits),
                        Limits = Quantities(limits),
                    },
                    SecurityContext = new V1SecurityContext
                    {
                        AllowPrivilegeEscalation = false, Privileged = false, ReadOnlyRootFilesystem = true, RunAsNonRoot = true,
                        RunAsUser = uid, RunAsGroup = uid,
                        Capabilities = new V1Capabilities { Drop = ["ALL"] },
                        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                    },
                    VolumeMounts = [new V1VolumeMount { Name = "workspace", MountPath = "/workspace" }, new V1VolumeMount { Name = "tmp", MountPath = "/tmp" }],
                },
            ],
            Volumes =
            [
                new V1Volume { Name = "workspace", EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity(Bytes(limits.WorkspaceBytes)) } },
                new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity(Bytes(limits.TmpBytes)) } },
            ],
        };
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = Labels(new() { [SandboxLabels.Sandbox] = "true", [SandboxLabels.Tier] = tier }) },
            ["spec"] = ToJson(spec),
        };
    }

    private List<V1EnvVar> ContainerEnvironment()
    {
        List<V1EnvVar> env = [new() { Name = "HOME", Value = "/workspace" }, new() { Name = "TMPDIR", Value = "/tmp" }];
        if (options.EgressProxyAddress is { } proxy)
        {
            var url = $"http://{proxy}:{options.EgressProxyPort.ToString(CultureInfo.InvariantCulture)}";
            env.AddRange(ProxyVariables.Select(n => new V1EnvVar { Name = n, Value = url }));
        }
        return env;
    }

    private static Dictionary<string, ResourceQuantity> Quantities(KubernetesTierOptions limits) => new()
    {
        ["cpu"] = new ResourceQuantity($"{limits.CpuMillicores.ToString(CultureInfo.InvariantCulture)}m"),
        ["memory"] = new ResourceQuantity(Bytes(limits.MemoryBytes)),
        ["ephemeral-storage"] = new ResourceQuantity(Bytes(limits.WorkspaceBytes)),
    };

    private KubernetesTierOptions Tier(string tier) => options.Tiers.TryGetValue(tier, out var t)
        ? t : throw new ArgumentException($"No tier '{tier}' under {KubernetesSandboxOptions.SectionName}:Tiers; configured: {string.Join(", ", options.Tiers.Keys)}.", nameof(tier));

    private JsonObject Metadata(string name, Dictionary<string, string> labels) => new()
    {
        ["name"] = name,
        ["namespace"] = options.Namespace,
        ["labels"] = Labels(labels),
    };

    private static JsonObject Labels(Dictionary<string, string> labels)
    {
        var json = new JsonObject { [SandboxLabels.ManagedBy] = SandboxLabels.Broker };
        foreach (var (key, value) in labels)
        {
            json[key] = value;
        }
        return json;
    }

    private static string Bytes(long bytes) => bytes.ToString(CultureInfo.InvariantCulture);

    private static JsonNode ToJson(object model) => JsonNode.Parse(KubernetesJson.Serialize(model))!;
}
