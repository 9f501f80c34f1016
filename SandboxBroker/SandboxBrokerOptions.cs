using System.ComponentModel.DataAnnotations;

namespace AgentCloud.SandboxBroker;

/// <summary>Where sandboxes live, how big the pools are and how far a sandbox may go; section <c>SandboxBroker</c>.</summary>
public sealed class SandboxBrokerOptions
{
    public const string SectionName = "SandboxBroker";

    /// <summary>Directory holding every sandbox of this broker; whatever is in it at start is an orphan and is reclaimed.</summary>
    [Required]
    public string Root { get; set; } = "/var/lib/agentcloud/sandboxes";

    /// <summary>First host uid given to sandboxes (one uid per sandbox, so no sandbox can read another's files or signal its processes).</summary>
    [Range(1000, int.MaxValue - 100_000)]
    public int UidBase { get; set; } = 610_000;

    [Range(1, 100_000)]
    public int UidCount { get; set; } = 4096;

    /// <summary>Warm sandboxes kept per (isolation level, template) in the shared pool.</summary>
    [Range(0, 256)]
    public int SharedPoolSize { get; set; } = 2;

    /// <summary>Warm sandboxes kept per tenant whose tier asks for a dedicated pool.</summary>
    [Range(0, 64)]
    public int DedicatedPoolSize { get; set; } = 1;

    /// <summary>Isolation levels that get a shared warm pool (when available on this host).</summary>
    public List<string> PooledLevels { get; set; } = ["gvisor", "bubblewrap"];

    /// <summary>Levels never used even when the host offers them (e.g. to run the broker at namespace level on purpose).</summary>
    public List<string> DisabledLevels { get; set; } = [];

    /// <summary>Offers the <c>none</c> level (a plain process, no namespaces) to policies that list it: for operators in development only.</summary>
    public bool EnableNoneLevel { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromHours(2);

    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often stream entries spooled while Redis was unreachable (usage, audit) are retried.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan OutboxRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The cgroup v2 group under which sandbox groups are made (absolute path in the cgroup2 mount, delegated to the
    /// broker with memory, pids and cpu). Unset: the broker's own group, which works only where that is allowed.
    /// </summary>
    public string? CgroupParent { get; set; }

    [Range(1, 3600)]
    public int DefaultExecTimeoutSeconds { get; set; } = 60;

    /// <summary>Raising it past the default means raising the Gateway's <c>Gateway:Limits:SandboxExecIdleTimeout</c> above it too.</summary>
    [Range(1, 86_400)]
    public int MaxExecTimeoutSeconds { get; set; } = AgentCloud.Platform.Contracts.SandboxExecLimits.DefaultMaxExecTimeoutSeconds;

    /// <summary>How often a streamed exec that has printed nothing sends an SSE comment, so proxies keep the connection.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan StreamKeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    [Range(1024, 256 * 1024 * 1024)]
    public int MaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>Background processes one sandbox may run at once (each keeps up to MaxOutputBytes of each output in memory).</summary>
    [Range(1, 256)]
    public int MaxBackgroundProcesses { get; set; } = 16;

    [Range(1, int.MaxValue)]
    public long MaxUploadBytes { get; set; } = 32L * 1024 * 1024;

    [Range(1, int.MaxValue)]
    public long MaxDownloadBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>The most entries one tar upload may unpack or one tar download may hold.</summary>
    [Range(1, 1_000_000)]
    public int MaxArchiveEntries { get; set; } = 10_000;

    /// <summary>The most entries one folder listing returns (it says <c>truncated</c> when there were more).</summary>
    [Range(1, 1_000_000)]
    public int MaxListEntries { get; set; } = 10_000;

    /// <summary>Total bytes of command arguments and environment one exec may carry.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxArgumentBytes { get; set; } = 256 * 1024;

    [Range(0, 64 * 1024 * 1024)]
    public int MaxStdinBytes { get; set; } = 4 * 1024 * 1024;

    public SandboxLimits Limits { get; set; } = new();

    /// <summary>Where paused sandboxes keep their saved workspace, one root-only folder per tenant; default <c>&lt;Root&gt;/paused</c>.</summary>
    public string? PausedRoot { get; set; }

    /// <summary>Paused sandboxes one tenant may keep at once; one more pause is refused with 429.</summary>
    [Range(0, 10_000)]
    public int MaxPausedPerTenant { get; set; } = 8;

    /// <summary>The most bytes of files one paused sandbox may save; a bigger workspace cannot be paused (413).</summary>
    [Range(1, long.MaxValue)]
    public long MaxPausedBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Paused sandboxes whose processes are checkpointed (each holds its uid until resumed or deleted) across all tenants;
    /// never more than half of <see cref="UidCount"/>. Past it a pause keeps the files only and says why.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int MaxCheckpointedPauses { get; set; } = 1024;

    public int EffectiveMaxCheckpointedPauses() => Math.Min(MaxCheckpointedPauses, UidCount / 2);

    /// <summary>How long a paused sandbox is kept; after that the janitor deletes its saved state.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "90.00:00:00")]
    public TimeSpan MaxPausedTime { get; set; } = TimeSpan.FromDays(7);

    public string EffectivePausedRoot() => Path.GetFullPath(PausedRoot ?? Path.Combine(Root, "paused"));

    public Dictionary<string, SandboxTemplate> Templates { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The platform Gateway as the host reaches it (e.g. <c>http://localhost:8080</c>). When set, every sandbox with
    /// egress reaches it as <see cref="PlatformGatewayHost"/> through its egress proxy (the one internal address the
    /// proxy admits) and gets that address as <c>AGENTCLOUD_URL</c>, so agents call models and memory as their tenant.
    /// </summary>
    public string? PlatformGatewayUrl { get; set; }

    /// <summary>
    /// Whether each sandbox gets a run key from the ControlPlane (AGENTCLOUD_KEY in its processes' environment),
    /// revoked when the sandbox ends. On in the platform; off where the broker runs without a ControlPlane.
    /// </summary>
    public bool IssueRunKeys { get; set; }

    public const string PlatformGatewayHost = "gateway.agentcloud.internal";

    /// <summary>Host names the egress proxy resolves to a fixed address (tests stand a loopback server in for a domain).</summary>
    public Dictionary<string, string> EgressHostOverrides { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Firecracker needs a guest kernel and root filesystem image; without them the level is unavailable.</summary>
    public string? FirecrackerKernelImage { get; set; }

    public string? FirecrackerRootfsImage { get; set; }

    /// <summary>The limits of the template's sandboxes: its own where it sets them, else the broker's.</summary>
    public SandboxLimits LimitsOf(string template) => EffectiveTemplates().TryGetValue(template, out var t) && t.Limits is { } own ? own : Limits;

    /// <summary>The host folder of the template's read-only root layer, or null (also for an unknown template).</summary>
    public string? LayerOf(string template) => EffectiveTemplates().TryGetValue(template, out var t) ? t.RootLayer : null;

    /// <summary>The templates in effect: the configured ones, plus <c>default</c> when not configured.</summary>
    public IReadOnlyDictionary<string, SandboxTemplate> EffectiveTemplates()
    {
        var all = new Dictionary<string, SandboxTemplate>(Templates, StringComparer.Ordinal);
        all.TryAdd(SandboxTemplate.DefaultName, SandboxTemplate.Default());
        return all;
    }
}

/// <summary>Per-process limits applied to everything a sandbox runs (rlimits; cgroup v2 is used where the host lets the broker write it).</summary>
public sealed class SandboxLimits
{
    [Range(1, 86_400)]
    public int CpuSeconds { get; set; } = 600;

    [Range(16L * 1024 * 1024, long.MaxValue)]
    public long AddressSpaceBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    [Range(8, 65_536)]
    public int MaxProcesses { get; set; } = 256;

    [Range(1024, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 1024L * 1024 * 1024;

    [Range(16, 65_536)]
    public int OpenFiles { get; set; } = 1024;

    /// <summary>cgroup v2 <c>memory.max</c> of a whole sandbox (all its processes together), where cgroups are available.</summary>
    [Range(16L * 1024 * 1024, long.MaxValue)]
    public long MemoryBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Size of the sandbox's workspace filesystem (a tmpfs the broker mounts as root): writing past it fails with ENOSPC.</summary>
    [Range(1024L * 1024, long.MaxValue)]
    public long WorkspaceBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Size of the sandbox's /tmp filesystem (a tmpfs of its own).</summary>
    [Range(1024L * 1024, long.MaxValue)]
    public long TmpBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Execs one sandbox may run at once; one more is refused with 429 and Retry-After.</summary>
    [Range(1, 1024)]
    public int MaxConcurrentExecs { get; set; } = 8;

    /// <summary>cgroup v2 <c>cpu.max</c> of a whole sandbox, in cores (1.5 = one and a half cores' time per period).</summary>
    [Range(0.01, 1024)]
    public double CpuCores { get; set; } = 1;
}

/// <summary>
/// What a sandbox starts with: the environment every exec gets before the caller's own variables, an optional
/// read-only root layer (a host folder built by <c>eng/template-layer.sh</c>, mounted at <see cref="LayerMountPoint"/>),
/// the tiers that may use it (empty: every tier) and its default lifetime.
/// </summary>
public sealed class SandboxTemplate
{
    public const string DefaultName = "default";

    /// <summary>Where a template's root layer appears inside its sandboxes (read-only).</summary>
    public const string LayerMountPoint = "/opt/template";

    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Absolute host folder mounted read-only at <see cref="LayerMountPoint"/>; null for none.</summary>
    public string? RootLayer { get; set; }

    /// <summary>Limits of the template's sandboxes, replacing <see cref="SandboxBrokerOptions.Limits"/> whole (unset fields take their defaults); null: the broker's.</summary>
    public SandboxLimits? Limits { get; set; }

    /// <summary>Tiers whose tenants may pick the template; empty: every tier.</summary>
    public List<string> Tiers { get; set; } = [];

    /// <summary>Lifetime of its sandboxes when the create names none (at most <see cref="SandboxBrokerOptions.MaxLifetime"/>).</summary>
    [Range(1, 7 * 86_400)]
    public int? TimeoutSeconds { get; set; }

    /// <summary>Why the template cannot be used on this host (its layer is missing), or null.</summary>
    public string? Unavailable() => RootLayer is null ? null
        : !Path.IsPathFullyQualified(RootLayer) ? $"its root layer '{RootLayer}' is not an absolute path"
        : !Directory.Exists(RootLayer) ? $"its root layer {RootLayer} does not exist on this host (build it with eng/template-layer.sh)"
        : null;

    public static SandboxTemplate Default() => new()
    {
        Environment = new(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = "/workspace",
            ["LANG"] = "C.UTF-8",
            ["PYTHONDONTWRITEBYTECODE"] = "1",
            ["TMPDIR"] = "/tmp",
        },
    };
}
