using System.Collections.Concurrent;
using AgentCloud.Gateway.Telemetry;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Records refused authentication attempts: every one is counted in a metric, but at most one structured warning per
/// source address per window is logged (with how many were folded into it), so a flood of guesses cannot flood the log;
/// each is counted against its address's failure limit and in the tally the audit trail receives once per window.
/// </summary>
public sealed class FailedAuthAudit(GatewayMetrics metrics, FailedCallLimiter limiter, RefusedKeyTally tally, TimeProvider time, ILogger<FailedAuthAudit> logger)
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private const int MaxSources = 10_000;
    private readonly ConcurrentDictionary<string, Source> _sources = new(StringComparer.Ordinal);

    public void Refused(HttpContext http, string reason)
    {
        metrics.AuthFailed(reason);
        var source = ClientAddress.Of(http);
        limiter.Failed(source);
        tally.Count(reason, source);
        var now = time.GetUtcNow();
        if (_sources.Count >= MaxSources)
        {
            _sources.Clear();
        }
        var state = _sources.GetOrAdd(source, _ => new Source());
        int suppressed;
        lock (state)
        {
            if (now - state.WindowStart < Window)
            {
                state.Suppressed++;
                return;
            }
            suppressed = state.Suppressed;
            state.WindowStart = now;
            state.Suppressed = 0;
        }
        logger.LogWarning(
            "Refused {Method} {Path} from {Source}: {Reason} ({Suppressed} more refusals from this source in the previous window were not logged)",
            http.Request.Method, http.Request.Path.Value, source, reason, suppressed);
    }

    private sealed class Source
    {
        public DateTimeOffset WindowStart = DateTimeOffset.MinValue;
        public int Suppressed;
    }
}
