using System.Diagnostics.Metrics;
using AgentCloud.UsageAggregator.Data;

namespace AgentCloud.UsageAggregator.Telemetry;

/// <summary>The aggregator's OpenTelemetry instruments (meter <see cref="MeterName"/>), counted only for events newly in the ledger.</summary>
public sealed class UsageMetrics : IDisposable
{
    public const string MeterName = "AgentCloud.Usage";

    private readonly Meter _meter;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;
    private readonly Counter<double> _sandboxSeconds;
    private readonly Counter<long> _events;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _lag;
    private long _lastLagMs;
    private long _backlog;

    public UsageMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _tokens = _meter.CreateCounter<long>("agentcloud.usage.tokens", "{token}", "Tokens counted, by tenant, model and type (input, cached_input, output, weighted).");
        _cost = _meter.CreateCounter<double>("agentcloud.usage.cost", "USD", "Cost counted, by tenant and model or sandbox level.");
        _sandboxSeconds = _meter.CreateCounter<double>("agentcloud.usage.sandbox_seconds", "s", "Sandbox seconds counted, by tenant and isolation level.");
        _events = _meter.CreateCounter<long>("agentcloud.usage.events", "{event}", "Stream entries processed, by outcome (counted, duplicate, dead_lettered).");
        _deadLettered = _meter.CreateCounter<long>("agentcloud.usage.dead_lettered", "{event}", "Events sent to the dead-letter stream, by reason.");
        _lag = _meter.CreateHistogram<double>("agentcloud.usage.consumer_lag", "s", "Time from XADD to the committed rollup, per event.");
        _meter.CreateObservableGauge("agentcloud.usage.consumer_lag.last", () => Interlocked.Read(ref _lastLagMs) / 1000.0, "s",
            "Lag of the oldest event of the last committed batch.");
        _meter.CreateObservableGauge("agentcloud.usage.consumer_backlog", () => Interlocked.Read(ref _backlog), "{event}",
            "Entries of the usage stream not yet acknowledged: never delivered (the group's lag) plus pending.");
    }

    public void Backlog(long entries) => Interlocked.Exchange(ref _backlog, entries);

    public void Counted(IReadOnlyList<RollupDelta> deltas, int processed)
    {
        long counted = 0;
        foreach (var d in deltas)
        {
            counted += d.Events;
            var tenant = new KeyValuePair<string, object?>("tenant", d.TenantId);
            var model = new KeyValuePair<string, object?>("model", d.Resource);
            if (d.Kind == "sandbox")
            {
                _sandboxSeconds.Add((double)d.SandboxSeconds, tenant, model);
            }
            else
            {
                _tokens.Add(d.InputTokens, tenant, model, new("type", "input"));
                _tokens.Add(d.CachedInputTokens, tenant, model, new("type", "cached_input"));
                _tokens.Add(d.OutputTokens, tenant, model, new("type", "output"));
                _tokens.Add(d.WeightedTokens, tenant, model, new("type", "weighted"));
            }
            _cost.Add((double)d.Cost, tenant, model);
        }
        _events.Add(counted, new KeyValuePair<string, object?>("outcome", "counted"));
        _events.Add(processed - counted, new KeyValuePair<string, object?>("outcome", "duplicate"));
    }

    public void DeadLettered(string reason)
    {
        _deadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason));
        _events.Add(1, new KeyValuePair<string, object?>("outcome", "dead_lettered"));
    }

    public void Lag(TimeSpan oldest, IEnumerable<TimeSpan> each)
    {
        Interlocked.Exchange(ref _lastLagMs, (long)oldest.TotalMilliseconds);
        foreach (var lag in each)
        {
            _lag.Record(lag.TotalSeconds);
        }
    }

    public void Dispose() => _meter.Dispose();
}
