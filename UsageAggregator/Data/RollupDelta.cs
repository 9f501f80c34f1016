using AgentCloud.Platform.Contracts;

namespace AgentCloud.UsageAggregator.Data;

/// <summary>
/// What one committed batch added to a rollup bucket (events already in the ledger add nothing). <see cref="ProjectId"/>
/// is <see cref="NoProject"/> for usage of a key of no project: a rollup key column cannot be null.
/// </summary>
public sealed record RollupDelta(
    string TenantId, string Kind, string Resource, DateTimeOffset Minute, string Principal, string ProjectId, long Events,
    long InputTokens, long CachedInputTokens, long OutputTokens, long WeightedTokens, decimal SandboxSeconds, decimal Cost)
{
    /// <summary>The rollups' project of usage that belongs to no project.</summary>
    public const string NoProject = "";

    /// <summary>The project as the ledger keeps it: null for none (an empty id names none either).</summary>
    public static string? ProjectOf(UsageEvent e) => string.IsNullOrEmpty(e.ProjectId) ? null : e.ProjectId;

    /// <summary>Sums the rows a batch inserted into their (tenant, kind, resource, UTC minute, principal, project) buckets.</summary>
    public static List<RollupDelta> Of(IEnumerable<LedgerRow> inserted)
    {
        var buckets = new Dictionary<(string, string, string, DateTime, string, string), Sums>();
        foreach (var row in inserted)
        {
            var e = row.Event;
            var started = e.StartedAt.UtcDateTime;
            var minute = new DateTime(started.Ticks - started.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
            var key = (e.TenantId, e.Kind, e.Resource, minute, e.Principal, ProjectOf(e) ?? NoProject);
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
        return [.. buckets.Select(b => new RollupDelta(b.Key.Item1, b.Key.Item2, b.Key.Item3, new DateTimeOffset(b.Key.Item4), b.Key.Item5, b.Key.Item6, b.Value.Events,
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
