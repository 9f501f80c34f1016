using AgentCloud.SandboxBroker.Limits;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>Every backend, probed once at start: what this host offers and why not, strongest first.</summary>
public sealed class IsolationCatalog
{
    private readonly Dictionary<string, ISandboxBackend> _backends;

    public IsolationCatalog(IEnumerable<ISandboxBackend> backends, IOptions<SandboxBrokerOptions> options)
    {
        _backends = backends.ToDictionary(b => b.Level, StringComparer.Ordinal);
        var disabled = options.Value.DisabledLevels.ToHashSet(StringComparer.Ordinal);
        Levels = IsolationLevels.Ladder
            .Select(level => !_backends.TryGetValue(level, out var backend)
                ? new BackendAvailability(level, false, "no backend registered")
                : disabled.Contains(level) ? new BackendAvailability(level, false, "disabled by SandboxBroker:DisabledLevels") : backend.Probe())
            .ToList();
    }

    public IReadOnlyList<BackendAvailability> Levels { get; }

    public IEnumerable<string> Available => Levels.Where(l => l.Available).Select(l => l.Level);

    public bool IsAvailable(string level) => Levels.Any(l => l.Level == level && l.Available);

    public ISandboxBackend Backend(string level) => _backends[level];

    /// <summary>The strongest level both available here and accepted by the tier, or the requested one if it is both.</summary>
    public string? Choose(IEnumerable<string> accepted, string? requested)
    {
        var acceptable = Available.Intersect(accepted, StringComparer.Ordinal).ToList();
        return requested is null ? acceptable.FirstOrDefault() : acceptable.Contains(requested) ? requested : null;
    }

    public string Describe() => string.Join("; ", Levels.Select(l => $"{l.Level}: {(l.Available ? "available" : "unavailable")} ({l.Reason})"));
}

/// <summary>Reports the ladder and the resource limits in the health details; healthy when a level with namespaces is available.</summary>
public sealed class IsolationHealthCheck(IsolationCatalog catalog, CgroupLimiter cgroups) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = catalog.Levels.ToDictionary(l => l.Level, l => (object)(l.Available ? "available" : $"unavailable: {l.Reason}"));
        data["cgroup-v2"] = cgroups.Enabled ? $"available: {cgroups.Support.Reason}" : $"unavailable: {cgroups.Support.Reason}";
        var isolated = catalog.Available.Any(l => l != IsolationLevels.None);
        var description = $"{catalog.Describe()}; limits: {cgroups.Describe()}";
        return Task.FromResult(isolated
            ? HealthCheckResult.Healthy(description, data)
            : HealthCheckResult.Degraded(description, data: data));
    }
}
