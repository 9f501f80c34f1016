namespace AgentCloud.UsageAggregator.Data;

/// <summary>What one committed batch added to a rollup bucket (events already in the ledger add nothing).</summary>
public sealed record RollupDelta(
    string TenantId, string Kind, string Resource, DateTimeOffset Minute, string Principal, long Events,
    long InputTokens, long CachedInputTokens, long OutputTokens, long WeightedTokens, decimal SandboxSeconds, decimal Cost)
{
    /// <summary>Sums the rows a batch inserted into their (tenant, kind, resource, UTC minute, principal) buckets.</summary>
    public static List<RollupDelta> Of(IEnumerable<LedgerRow> inserted)
    {
        var buckets = new Dictionary<(string, string, string, DateTime, string), Sums>();
        foreach (var row in inserted)
        {
            var e = row.Event;
            var started = e.StartedAt.UtcDateTime;
            var minute = new DateTime(started.Ticks - started.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
            var key = (e.TenantId, e.Kind, e.Resource, minute, e.Principal);
            if (!buckets.TryGetValue(key, out var sums))
            {
                buckets[key] = sums = new Sums();
            }
            sums.Events++;
            sums.InputTokens += e.InputTokens;
            sums.CachedInputTokens += e.CachedInputTokens;
            sums.OutputTokens += e.OutputTokens;
            sums.WeightedTokens += e.WeightedTokens;
            sums.SandboxSeconds += row.SandboxSeconds;
            sums.Cost += row.Cost;
        }
        return [.. buckets.Select(b => new RollupDelta(b.Key.Item1, b.Key.Item2, b.Key.Item3, new DateTimeOffset(b.Key.Item4), b.Key.Item5, b.Value.Events,
            b.Value.InputTokens, b.Value.CachedInputTokens, b.Value.OutputTokens, b.Value.WeightedTokens, b.Value.SandboxSeconds, b.Value.Cost))];
    }

    private sealed class Sums
    {
        public long Events;
        public long InputTokens;
        public long CachedInputTokens;
        public long OutputTokens;
        public long WeightedTokens;
        public decimal SandboxSeconds;
        public decimal Cost;
    }
}
