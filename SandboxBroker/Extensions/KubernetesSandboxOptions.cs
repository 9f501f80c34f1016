using System.ComponentModel.DataAnnotations;

namespace AgentCloud.SandboxBroker.Extensions;

/// <summary>Sandboxes as agent-sandbox claims in a Kubernetes cluster; section <c>SandboxBroker:Kubernetes</c>.</summary>
public sealed class KubernetesSandboxOptions
{
    public const string SectionName = "SandboxBroker:Kubernetes";

    /// <summary>Off unless a cluster is meant: the level is then reported unavailable with this setting named.</summary>
    public bool Enabled { get; set; }

    /// <summary>A kubeconfig file; with neither this nor <see cref="KubeconfigYaml"/>, the broker runs in the cluster and uses its pod's service account.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>A kubeconfig's content, for a broker outside the cluster that gets it as a secret (a deployment parameter), never logged.</summary>
    public string? KubeconfigYaml { get; set; }

    /// <summary>Where templates, warm pools, claims and the network policy live (created by the operator, not by the broker).</summary>
    [Required]
    public string Namespace { get; set; } = "agentcloud-sandboxes";

    /// <summary>RuntimeClasses tried in order; the first the cluster has runs every sandbox pod.</summary>
    public List<string> RuntimeClassPreference { get; set; } = ["gvisor", "kata", "kata-qemu", "kata-clh"];

    /// <summary>With none of the preferred RuntimeClasses, refuse the level rather than run tenant code under plain runc.</summary>
    public bool RequireRuntimeClass { get; set; } = true;

    /// <summary>The sandbox container's image: a shell, coreutils and whatever tenants' code expects.</summary>
    [Required]
    public string Image { get; set; } = "docker.io/library/python:3.12-slim-bookworm";

    /// <summary>uid and gid the sandbox runs as (never 0).</summary>
    [Range(1, int.MaxValue)]
    public int RunAsUser { get; set; } = 1000;

    /// <summary>One SandboxTemplate and one shared SandboxWarmPool per tier.</summary>
    public Dictionary<string, KubernetesTierOptions> Tiers { get; set; } = new(StringComparer.Ordinal)
    {
        ["free"] = new() { CpuMillicores = 500, MemoryBytes = 512L * 1024 * 1024, WarmPoolSize = 2 },
        ["pro"] = new() { CpuMillicores = 1000, MemoryBytes = 2L * 1024 * 1024 * 1024, WarmPoolSize = 2 },
        ["enterprise"] = new() { CpuMillicores = 2000, MemoryBytes = 4L * 1024 * 1024 * 1024, WarmPoolSize = 1 },
    };

    /// <summary>Warm sandboxes kept for each tenant whose policy asks for a dedicated pool.</summary>
    [Range(0, 64)]
    public int DedicatedWarmPoolSize { get; set; } = 1;

    /// <summary>Labels of the broker's own pods: the only destination the sandboxes' NetworkPolicy lets them reach.</summary>
    public Dictionary<string, string> BrokerPodLabels { get; set; } = new(StringComparer.Ordinal) { ["app.kubernetes.io/name"] = "sandbox-broker" };

    /// <summary>Address (an IP, so sandboxes need no DNS) of the broker's egress proxy as sandboxes see it; unset: no egress at all.</summary>
    public string? EgressProxyAddress { get; set; }

    [Range(1, 65_535)]
    public int EgressProxyPort { get; set; } = 3128;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan BindTimeout { get; set; } = TimeSpan.FromSeconds(60);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(120);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DeleteTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The most a create may take, claim to ready pod: below the Gateway's idle timeout for the sandboxes route (100 s), so
    /// the caller gets the broker's 503 rather than a 504 while its claim is left behind.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CreateTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>While the level is unavailable, how long a probe's answer stands before the next call probes again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan ReprobeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the start-up probe waits for the API server.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>A tier's sandbox pod: its resources and how many are kept warm.</summary>
public sealed class KubernetesTierOptions
{
    [Range(50, 64_000)]
    public int CpuMillicores { get; set; } = 1000;

    [Range(16L * 1024 * 1024, long.MaxValue)]
    public long MemoryBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>The /workspace emptyDir's size limit (the root filesystem is read-only).</summary>
    [Range(1024L * 1024, long.MaxValue)]
    public long WorkspaceBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>The /tmp emptyDir's size limit (in memory, counted against the pod's memory).</summary>
    [Range(1024L * 1024, long.MaxValue)]
    public long TmpBytes { get; set; } = 256L * 1024 * 1024;

    [Range(0, 256)]
    public int WarmPoolSize { get; set; } = 1;
}
