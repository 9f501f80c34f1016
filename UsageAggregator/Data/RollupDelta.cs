namespace AgentCloud.UsageAggregator.Data;

/// <summary>What one committed batch added to a rollup bucket (events already in the ledger add nothing).</summary>
public sealed record RollupDelta(
    string TenantId, string Kind, string Resource, DateTimeOffset Minute, long Events,
    long InputTokens, long CachedInputTokens, long OutputTokens, long WeightedTokens, decimal SandboxSeconds, decimal Cost)
{
    /// <summary>Sums the rows a batch inserted into their (tenant, kind, resource, UTC minute) buckets.</summary>
    public static List<RollupDelta> Of(IEnumerable<LedgerRow> inserted)
    {
        var buckets = new Dictionary<(string, string, string, DateTime), RollupDelta>();
        foreach (var row in inserted)
        {
            var e = row.Event;
            var started = e.StartedAt.UtcDateTime;
            var minute = new DateTime(started.Ticks - started.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
            var key = (e.TenantId, e.Kind, e.Resource, minute);
            buckets[key] = buckets.TryGetValue(key, out var d)
                ? d with
                {
                    Events = d.Events + 1,
                    InputTokens = d.InputTokens + e.InputTokens,
                    CachedInputTokens = d.CachedInputTokens + e.CachedInputTokens,
                    OutputTokens = d.OutputTokens + e.OutputTokens,
                    WeightedTokens = d.WeightedTokens + e.WeightedTokens,
                    SandboxSeconds = d.SandboxSeconds + row.SandboxSeconds,
                    Cost = d.Cost + row.Cost,
                }
                : new RollupDelta(e.TenantId, e.Kind, e.Resource, new DateTimeOffset(minute), 1,
                    e.InputTokens, e.CachedInputTokens, e.OutputTokens, e.WeightedTokens, row.SandboxSeconds, row.Cost);
        }
        return [.. buckets.Values];
    }
}
