using AgentCloud.Platform.Budgets;

namespace AgentCloud.InferenceRouter.Tests.Quota;

/// <summary>Where day, ISO week and month budgets start and end (UTC).</summary>
public sealed class BudgetPeriodTests
{
    [Theory]
    [InlineData("2026-12-06T23:59:59Z", "2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z")] // a Sunday is the last day of its ISO week
    [InlineData("2026-12-07T00:00:00Z", "2026-12-07T00:00:00Z", "2026-12-14T00:00:00Z")] // a Monday starts one
    [InlineData("2027-01-01T10:00:00Z", "2026-12-28T00:00:00Z", "2027-01-04T00:00:00Z")] // a week spans the new year
    public void A_week_runs_from_monday_to_monday_utc(string now, string start, string end)
    {
        var at = DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), BudgetPeriod.Week.Start(at));
        Assert.Equal(DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture), BudgetPeriod.Week.End(at));
    }

    [Fact]
    public void A_day_and_a_month_are_counted_in_utc_whatever_the_offset_given()
    {
        var lateInNewYork = new DateTimeOffset(2026, 1, 31, 22, 0, 0, TimeSpan.FromHours(-5)); // already 1 February, 03:00 UTC

        Assert.Equal(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), BudgetPeriod.Day.Start(lateInNewYork));
        Assert.Equal(new DateTimeOffset(2026, 2, 2, 0, 0, 0, TimeSpan.Zero), BudgetPeriod.Day.End(lateInNewYork));
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), BudgetPeriod.Month.Start(lateInNewYork));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), BudgetPeriod.Month.End(lateInNewYork));
    }

    [Theory]
    [InlineData("day", true)]
    [InlineData("WEEK", true)]
    [InlineData("month", true)]
    [InlineData("year", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_day_week_and_month_are_periods(string? name, bool known)
    {
        Assert.Equal(known, BudgetPeriods.TryParse(name, out _));
    }
}
