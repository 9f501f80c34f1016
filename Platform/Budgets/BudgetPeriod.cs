using System.Text.Json.Serialization;

namespace AgentCloud.Platform.Budgets;

/// <summary>How long a period budget counts before it starts again from zero: a UTC day, an ISO week (from Monday), a UTC month.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BudgetPeriod>))]
public enum BudgetPeriod
{
    Month,
    Week,
    Day,
}

public static class BudgetPeriods
{
    /// <summary>The names the APIs accept and answer.</summary>
    public static readonly IReadOnlyList<string> Names = ["day", "week", "month"];

    public static string Name(this BudgetPeriod period) => period switch
    {
        BudgetPeriod.Day => "day",
        BudgetPeriod.Week => "week",
        _ => "month",
    };

    /// <summary>The period of a name (case-insensitive); false for anything else.</summary>
    public static bool TryParse(string? name, out BudgetPeriod period)
    {
        period = name?.ToLowerInvariant() switch
        {
            "day" => BudgetPeriod.Day,
            "week" => BudgetPeriod.Week,
            "month" => BudgetPeriod.Month,
            _ => (BudgetPeriod)(-1),
        };
        return Enum.IsDefined(period);
    }

    /// <summary>The start of the period that holds <paramref name="now"/>, in UTC.</summary>
    public static DateTimeOffset Start(this BudgetPeriod period, DateTimeOffset now)
    {
        var day = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        return period switch
        {
            BudgetPeriod.Day => day,
            // ISO weeks start on Monday: Sunday is the week's seventh day, not its first.
            BudgetPeriod.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
            _ => new DateTimeOffset(day.Year, day.Month, 1, 0, 0, 0, TimeSpan.Zero),
        };
    }

    /// <summary>When the period that holds <paramref name="now"/> ends (the next one starts).</summary>
    public static DateTimeOffset End(this BudgetPeriod period, DateTimeOffset now)
    {
        var start = period.Start(now);
        return period switch
        {
            BudgetPeriod.Day => start.AddDays(1),
            BudgetPeriod.Week => start.AddDays(7),
            _ => start.AddMonths(1),
        };
    }
}
