using AgentCloud.Console.Api;
using AgentCloud.Console.Auth;
using AgentCloud.Console.Usage;

namespace AgentCloud.Console.Tests;

public sealed class PureLogicTests
{
    [Fact]
    public void The_day_windows_are_the_last_seven_utc_days_ending_with_today()
    {
        var windows = UsageCharts.Windows(new DateTimeOffset(2026, 12, 1, 15, 30, 0, TimeSpan.FromHours(2)));

        Assert.Equal(7, windows.Count);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), windows[0].From);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero), windows[^1].To);
        Assert.All(windows, w => Assert.Equal(TimeSpan.FromDays(1), w.To - w.From));
    }

    [Fact]
    public void Per_model_charts_sum_every_day_and_keep_sandbox_levels_apart_from_models()
    {
        var rows = new[]
        {
            new UsageRowView("t", "inference", "m1", null, 1, 10, 5, 15, 0, 1m),
            new UsageRowView("t", "inference", "m1", null, 1, 1, 1, 2, 0, 2m),
            new UsageRowView("t", "sandbox", "gvisor", null, 1, 0, 0, 0, 30, 0.25m),
        };

        var charts = UsageCharts.PerModel(rows);

        Assert.Equal([new ChartPoint("gvisor (sandbox)", 0), new ChartPoint("m1", 17)], charts[0].Points);
        Assert.Equal(3m, charts[1].Points.Single(p => p.Label == "m1").Value);
        Assert.Equal([new ChartPoint("gvisor (sandbox)", 30)], charts[2].Points);
    }

    [Theory]
    [InlineData("ac_abcdefghijkl_0123456789012345678901234567890123456789", "ac_abcdefghijkl_…")]
    [InlineData("operator-secret-key-0123456789", "oper…")]
    public void A_keys_prefix_never_holds_its_secret_part(string key, string prefix)
    {
        Assert.Equal(prefix, ConsoleClaims.PrefixOf(key));
        Assert.True(prefix.Length < 20);
    }

    [Fact]
    public void A_tenant_patch_sends_only_what_the_operator_filled_in()
    {
        var body = TenantPatch.Of(new TenantUpdate(null, "suspended", ["gvisor"], 30, null));

        Assert.Equal(["status", "isolation", "policy"], body.Keys);
        Assert.Equal(30, ((Dictionary<string, object>)body["policy"])["requestsPerMinute"]);
        Assert.False(((Dictionary<string, object>)body["policy"]).ContainsKey("tokensPerMinute"));
    }
}
