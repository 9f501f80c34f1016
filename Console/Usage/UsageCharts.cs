using System.Globalization;
using AgentCloud.Console.Api;

namespace AgentCloud.Console.Usage;

/// <summary>
/// Turns usage rows into the console's charts: tokens, cost and sandbox-seconds per day (one entry per day window, the
/// rows of that day) and per model (summed over the period). Days without usage are zero bars, so a gap shows as a gap.
/// </summary>
public static class UsageCharts
{
    public const int Days = 7;

    public sealed record Day(DateOnly Date, IReadOnlyList<UsageRowView> Rows);

    /// <summary>The day windows the charts cover: the last <see cref="Days"/> UTC days, today included.</summary>
    public static IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> Windows(DateTimeOffset now)
    {
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        return Enumerable.Range(0, Days).Select(i => today.AddDays(i - Days + 1)).Select(d => (d, d.AddDays(1))).ToList();
    }

    public static IReadOnlyList<ChartSeries> PerDay(IReadOnlyList<Day> days) =>
    [
        new("Tokens per day", "tokens", days.Select(d => new ChartPoint(Label(d.Date), d.Rows.Sum(r => r.InputTokens + r.OutputTokens))).ToList()),
        new("Cost per day", "USD", days.Select(d => new ChartPoint(Label(d.Date), d.Rows.Sum(r => r.Cost))).ToList()),
        new("Sandbox-seconds per day", "s", days.Select(d => new ChartPoint(Label(d.Date), d.Rows.Sum(r => r.SandboxSeconds))).ToList()),
    ];

    public static IReadOnlyList<ChartSeries> PerModel(IEnumerable<UsageRowView> rows)
    {
        var byModel = rows.Where(r => r.Model is not null).GroupBy(r => $"{r.Model}{(r.Kind is "inference" or null ? "" : $" ({r.Kind})")}")
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        return
        [
            new("Tokens per model", "tokens", byModel.Select(g => new ChartPoint(g.Key, g.Sum(r => r.InputTokens + r.OutputTokens))).ToList()),
            new("Cost per model", "USD", byModel.Select(g => new ChartPoint(g.Key, g.Sum(r => r.Cost))).ToList()),
            new("Sandbox-seconds per level", "s", byModel.Where(g => g.Any(r => r.SandboxSeconds > 0))
                .Select(g => new ChartPoint(g.Key, g.Sum(r => r.SandboxSeconds))).ToList()),
        ];
    }

    public static string Format(decimal value, string unit) => unit switch
    {
        "USD" => "$" + value.ToString(value < 1 ? "0.######" : "0.00", CultureInfo.InvariantCulture),
        _ => value.ToString(value == Math.Floor(value) ? "#,0" : "#,0.##", CultureInfo.InvariantCulture),
    };

    private static string Label(DateOnly d) => d.ToString("MMM d", CultureInfo.InvariantCulture);
}
