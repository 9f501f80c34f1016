using System.Diagnostics.Metrics;

namespace AgentCloud.Memory.Domain;

/// <summary>The memory service's counters (meter <c>AgentCloud.Memory</c>).</summary>
public sealed class MemoryMetrics
{
    public const string MeterName = "AgentCloud.Memory";
    public const string ForeignResultsDropped = "agentcloud.memory.foreign_results_dropped";

    private readonly Counter<long> _foreignDropped;
    private readonly Counter<long> _upserted;
    private readonly Counter<long> _searches;

    public MemoryMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _foreignDropped = meter.CreateCounter<long>(ForeignResultsDropped, "{point}",
            "Search results the store returned for another tenant or collection, dropped by the second authorization layer; should stay 0.");
        _upserted = meter.CreateCounter<long>("agentcloud.memory.points_upserted", "{point}");
        _searches = meter.CreateCounter<long>("agentcloud.memory.searches", "{search}");
    }

    public void ForeignResultDropped(string backend) => _foreignDropped.Add(1, new KeyValuePair<string, object?>("backend", backend));

    public void Upserted(int count) => _upserted.Add(count);

    public void Searched() => _searches.Add(1);
}
