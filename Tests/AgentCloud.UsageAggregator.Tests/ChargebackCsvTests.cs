using AgentCloud.UsageAggregator.Apis;
using AgentCloud.UsageAggregator.Data;

namespace AgentCloud.UsageAggregator.Tests;

public sealed class ChargebackCsvTests
{
    private static readonly UsagePeriod Period = new(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Values_a_spreadsheet_would_run_as_formulas_are_defused_and_quoted()
    {
        var csv = ChargebackCsv.Write([new UsageRow("acme", "inference", "=HYPERLINK(\"x\",\"y\")", null, 1, 2, 0, 3, 5, 0, 0.5m)], Period);

        var line = csv.Split('\n')[1];
        Assert.StartsWith("acme,inference,\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\",", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_row_carries_the_period_and_all_sums()
    {
        var csv = ChargebackCsv.Write([
            new UsageRow("acme", "sandbox", "sandbox:gvisor", null, 4, 0, 0, 0, 0, 12.5m, 0.00025m),
            new UsageRow("acme", "tool", "tool:tickets.create", null, 3, 0, 0, 0, 0, 0m, 0m, ToolCalls: 3, ToolSeconds: 0.75m)], Period);

        var lines = csv.Split('\n');
        Assert.EndsWith(",sandbox_seconds,cost,tool_calls,tool_seconds,project_id,key", lines[0]);
        Assert.Equal("acme,sandbox,sandbox:gvisor,2026-06-01T00:00:00.0000000+00:00,2026-07-01T00:00:00.0000000+00:00,4,0,0,0,0,12.5,0.00025,0,0,,", lines[1]);
        Assert.Equal("acme,tool,tool:tickets.create,2026-06-01T00:00:00.0000000+00:00,2026-07-01T00:00:00.0000000+00:00,3,0,0,0,0,0,0,3,0.75,,", lines[2]);
    }

    [Fact]
    public void Project_and_key_are_the_last_two_columns_after_the_original_ones_in_their_order()
    {
        var csv = ChargebackCsv.Write([
            new UsageRow("acme", "inference", "sim-small", null, 2, 10, 0, 5, 15, 0, 0.25m, Key: "key_0123abcd", ProjectId: "prj_00aa11bb22cc33dd"),
            new UsageRow("acme", "inference", "sim-small", null, 1, 1, 0, 1, 2, 0, 0.01m, ProjectId: "prj_00aa11bb22cc33dd"),
            new UsageRow("acme", "inference", "sim-small", null, 1, 1, 0, 1, 2, 0, 0.01m, Key: "operator")], Period);

        var lines = csv.Split('\n');
        Assert.Equal("tenant_id,kind,resource,from,to,events,input_tokens,cached_input_tokens,output_tokens,weighted_tokens,sandbox_seconds,cost,tool_calls,tool_seconds,project_id,key", lines[0]);
        Assert.Equal("acme,inference,sim-small,2026-06-01T00:00:00.0000000+00:00,2026-07-01T00:00:00.0000000+00:00,2,10,0,5,15,0,0.25,0,0,prj_00aa11bb22cc33dd,key_0123abcd", lines[1]);
        Assert.EndsWith(",0,0,prj_00aa11bb22cc33dd,", lines[2], StringComparison.Ordinal);
        Assert.EndsWith(",0,0,,operator", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Key_and_project_values_are_defused_like_any_value()
    {
        var csv = ChargebackCsv.Write([
            new UsageRow("acme", "inference", "sim-small", null, 1, 1, 0, 1, 2, 0, 0.01m, Key: "=cmd|' /C calc'!A0", ProjectId: "+1,2")], Period);

        Assert.EndsWith(",\"'+1,2\",'=cmd|' /C calc'!A0", csv.Split('\n')[1], StringComparison.Ordinal);
    }
}

public sealed class UsagePeriodTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 30, 45, TimeSpan.Zero);

    [Fact]
    public void Default_period_is_the_last_30_days_in_whole_minutes_including_the_current_one()
    {
        var period = UsagePeriod.TryParse(null, null, Now, out _)!.Value;

        Assert.Equal(new DateTimeOffset(2026, 10, 28, 10, 30, 0, TimeSpan.Zero), period.From);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 31, 0, TimeSpan.Zero), period.To);
    }

    [Theory]
    [InlineData("2026-06-01", "2026-06-01", "must be before")]
    [InlineData("2020-01-01", "2026-01-01", "at most")]
    [InlineData("1999-12-31", "2000-01-02", "must lie between")]
    [InlineData("next week", null, "ISO 8601")]
    public void Senseless_periods_are_refused_with_a_reason(string? from, string? to, string reason)
    {
        Assert.Null(UsagePeriod.TryParse(from, to, Now, out var problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }
}
