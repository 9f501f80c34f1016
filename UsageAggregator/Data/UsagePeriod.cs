using System.Globalization;

namespace AgentCloud.UsageAggregator.Data;

/// <summary>A validated <c>[from, to)</c> period of whole minutes, the rollups' granularity.</summary>
public readonly record struct UsagePeriod(DateTimeOffset From, DateTimeOffset To)
{
    public static readonly TimeSpan DefaultLength = TimeSpan.FromDays(30);
    public static readonly TimeSpan MaxLength = TimeSpan.FromDays(400);
    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static DateTimeOffset FloorToMinute(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    /// <summary>Reads <c>from</c>/<c>to</c> (ISO 8601; default the last 30 days); null and a reason when they make no sense.</summary>
    public static UsagePeriod? TryParse(string? from, string? to, DateTimeOffset now, out string? problem)
    {
        problem = null;
        var end = now;
        if (!string.IsNullOrEmpty(to) && !TryTime(to, out end))
        {
            problem = $"'to' must be an ISO 8601 date or time such as 2026-11-01T00:00:00Z, not '{to}'.";
            return null;
        }
        // Checked before the default start is computed from it: 0001-01-01 minus 30 days does not exist.
        if (end < Earliest || end > Latest)
        {
            problem = $"'from' and 'to' must lie between {Earliest:yyyy-MM-dd} and {Latest:yyyy-MM-dd}.";
            return null;
        }
        var start = end - DefaultLength;
        if (!string.IsNullOrEmpty(from) && !TryTime(from, out start))
        {
            problem = $"'from' must be an ISO 8601 date or time such as 2026-11-01T00:00:00Z, not '{from}'.";
            return null;
        }
        if (start < Earliest || end > Latest)
        {
            problem = $"'from' and 'to' must lie between {Earliest:yyyy-MM-dd} and {Latest:yyyy-MM-dd}.";
            return null;
        }
        if (start >= end)
        {
            problem = $"'from' ({start:O}) must be before 'to' ({end:O}).";
            return null;
        }
        if (end - start > MaxLength)
        {
            problem = $"The period may span at most {MaxLength.TotalDays} days; ask for several shorter ones.";
            return null;
        }
        // Round the end up so that a period ending mid-minute still includes that minute.
        var endMinute = FloorToMinute(end);
        return new UsagePeriod(FloorToMinute(start), endMinute == end ? end : endMinute.AddMinutes(1));
    }

    private static bool TryTime(string s, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
}
