namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Counts this Gateway's refused calls by reason and client address until <see cref="RefusedKeyAuditPublisher"/> takes
/// them as one audit entry per window. Counting is a dictionary increment under a short lock; nothing is written per call.
/// </summary>
public sealed class RefusedKeyTally
{
    /// <summary>Addresses beyond this many in one window are counted under "other" (bounded memory under a spread flood).</summary>
    public const int MaxSources = 1_000;
    private readonly Lock _gate = new();
    private Dictionary<string, long> _reasons = new(StringComparer.Ordinal);
    private Dictionary<string, long> _sources = new(StringComparer.Ordinal);

    public void Count(string reason, string source, long count = 1)
    {
        lock (_gate)
        {
            _reasons[reason] = _reasons.GetValueOrDefault(reason) + count;
            var key = _sources.Count < MaxSources || _sources.ContainsKey(source) ? source : "other";
            _sources[key] = _sources.GetValueOrDefault(key) + count;
        }
    }

    /// <summary>Takes what was counted since the last call and starts counting afresh.</summary>
    public RefusalWindow Take()
    {
        lock (_gate)
        {
            var window = new RefusalWindow(_reasons, _sources);
            _reasons = new(StringComparer.Ordinal);
            _sources = new(StringComparer.Ordinal);
            return window;
        }
    }

    /// <summary>Puts back counts that could not be published, so the next window carries them.</summary>
    public void Restore(RefusalWindow window)
    {
        lock (_gate)
        {
            foreach (var (reason, n) in window.Reasons)
            {
                _reasons[reason] = _reasons.GetValueOrDefault(reason) + n;
            }
            foreach (var (source, n) in window.Sources)
            {
                var key = _sources.Count < MaxSources || _sources.ContainsKey(source) ? source : "other";
                _sources[key] = _sources.GetValueOrDefault(key) + n;
            }
        }
    }
}

public sealed record RefusalWindow(IReadOnlyDictionary<string, long> Reasons, IReadOnlyDictionary<string, long> Sources)
{
    public long Count => Reasons.Values.Sum();
}
