using AgentCloud.SandboxBroker.Limits;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// Every backend, probed once at start: what this host offers and why not, strongest first. Where sandboxes would run
/// under the platform's own uid (a broker that is not root), every level is unavailable with that reason.
/// </summary>
public sealed class IsolationCatalog
{
    private readonly Dictionary<string, ISandboxBackend> _backends;
    private readonly Kubernetes.KubernetesLevel? _kubernetes;

    public IsolationCatalog(IEnumerable<ISandboxBackend> backends, IOptions<SandboxBrokerOptions> options)
        : this(backends, options, SandboxUids.Refusal())
    {
    }

    /// <summary>With the levels whose sandboxes run elsewhere (a cluster): reported beside the ladder, never refused for this host's uid.</summary>
    public IsolationCatalog(IEnumerable<ISandboxBackend> backends, IOptions<SandboxBrokerOptions> options, Kubernetes.KubernetesLevel kubernetes)
        : this(backends, options, SandboxUids.Refusal())
    {
        _kubernetes = kubernetes;
        _ = kubernetes.Probe(); // at start, so the first request does not wait for it
    }

    public IsolationCatalog(IEnumerable<ISandboxBackend> backends, IOptions<SandboxBrokerOptions> options, string? hostRefusal)
    {
        _backends = backends.ToDictionary(b => b.Level, StringComparer.Ordinal);
        HostRefusal = hostRefusal;
        var disabled = options.Value.DisabledLevels.ToHashSet(StringComparer.Ordinal);
        Levels = IsolationLevels.Ladder
            .Select(level => !_backends.TryGetValue(level, out var backend)
                ? new BackendAvailability(level, false, "no backend registered")
                : disabled.Contains(level) ? new BackendAvailability(level, false, "disabled by SandboxBroker:DisabledLevels")
                : hostRefusal is not null ? new BackendAvailability(level, false, hostRefusal)
                : backend.Probe())
            .ToList();
    }

    /// <summary>Why this broker hands out no sandbox at all; null when it may.</summary>
    public string? HostRefusal { get; }

    public IReadOnlyList<BackendAvailability> Levels { get; }

    /// <summary>Levels off this host's ladder, run by a cluster (<c>kubernetes</c>): what they offer and why not, probed again while unavailable.</summary>
    public IReadOnlyList<BackendAvailability> Clusters => _kubernetes is null ? [] : [_kubernetes.Probe()];

    public IEnumerable<string> Available => Levels.Where(l => l.Available).Select(l => l.Level);

    public bool IsAvailable(string level) => Levels.Any(l => l.Level == level && l.Available);

    public ISandboxBackend Backend(string level) => _backends[level];

    /// <summary>
    /// What a tenant may ask for: every level from the strongest down to its tier's floor (the weakest level the tier
    /// lists), so a stronger one than the default is fine and a weaker one never; <c>none</c> only where the tier names it.
    /// </summary>
    public static IReadOnlyList<string> Allowed(IEnumerable<string> tierLevels)
    {
        var listed = tierLevels.Where(IsolationLevels.IsKnown).ToList();
        if (listed.Count == 0)
        {
            return [];
        }
        var floor = listed.Max(l => IsolationLevels.Strength(l));
        return IsolationLevels.Ladder.Where(l => IsolationLevels.Strength(l) <= floor && (l != IsolationLevels.None || listed.Contains(l))).ToList();
    }

    /// <summary>The strongest level both available here and listed by the tier, or the requested one if the tier allows it and the host offers it.</summary>
    public string? Choose(IEnumerable<string> accepted, string? requested)
    {
        var tier = accepted.ToList();
        return requested is null
            ? Available.Intersect(tier, StringComparer.Ordinal).FirstOrDefault()
            : Allowed(tier).Contains(requested) && IsAvailable(requested) ? requested : null;
    }

    public string Describe() => string.Join("; ", Levels.Concat(Clusters).Select(l => $"{l.Level}: {(l.Available ? "available" : "unavailable")} ({l.Reason})"));
}

/// <summary>Reports the ladder and the resource limits in the health details; healthy when a level with namespaces, or a cluster level, is available.</summary>
public sealed class IsolationHealthCheck(IsolationCatalog catalog, CgroupLimiter cgroups) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = catalog.Levels.Concat(catalog.Clusters).ToDictionary(l => l.Level, l => (object)(l.Available ? "available" : $"unavailable: {l.Reason}"));
        data["cgroups"] = cgroups.Enabled ? $"available: {cgroups.Support.Reason}" : $"unavailable: {cgroups.Support.Reason}";
        data["sandbox"] = catalog.HostRefusal is null ? "available" : $"unavailable: {catalog.HostRefusal}";
        var isolated = catalog.Available.Any(l => l != IsolationLevels.None) || catalog.Clusters.Any(c => c.Available);
        var description = $"{catalog.Describe()}; limits: {cgroups.Describe()}";
        return Task.FromResult(isolated
            ? HealthCheckResult.Healthy(description, data)
            : HealthCheckResult.Degraded(description, data: data));
    }
}
