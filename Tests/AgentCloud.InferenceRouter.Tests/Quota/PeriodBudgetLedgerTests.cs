using AgentCloud.InferenceRouter.Quota;
using AgentCloud.Platform.Budgets;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Outbox;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.InferenceRouter.Tests.Quota;

/// <summary>Period budgets in tokens and micro-dollars, and their alert thresholds, in the shared ledger on a real redis-server.</summary>
public sealed class PeriodBudgetLedgerTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    // A Sunday evening: the day ends in 2 h, the ISO week at the same moment, the month on 1 January.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 22, 0, 0, TimeSpan.Zero));

    private TokenLedger Ledger() => new(redis.Connection, _time);

    private static string NewTenant() => "t" + Guid.NewGuid().ToString("N")[..8];

    private IReadOnlyList<QuotaScope> ProjectScopes(string tenant, long tokens = 0, long microdollars = 0, BudgetPeriod period = BudgetPeriod.Day,
        IReadOnlyList<int>? thresholds = null) =>
        QuotaScopes.For(tenant, 0, 0, _time.GetUtcNow(), projectId: "prj_marketing",
            budgets: new PeriodBudgets(ProjectTokens: tokens, ProjectMicrodollars: microdollars, ProjectPeriod: period, ProjectAlertThresholds: thresholds));

    [Fact]
    public async Task A_day_budget_spent_refuses_until_midnight_utc_and_starts_from_zero_the_next_day()
    {
        var ledger = Ledger();
        var tenant = NewTenant();
        var spent = (await ledger.ReserveAsync(ProjectScopes(tenant, microdollars: 1_000), new CallSpend(10, 1_000))).Reservation!;
        await ledger.SettleAsync(spent, new CallSpend(10, 1_000));

        var refused = await ledger.ReserveAsync(ProjectScopes(tenant, microdollars: 1_000), new CallSpend(1, 1));
        Assert.False(refused.Admitted);
        Assert.Equal("project dollars per day", refused.RefusedBy!.Name);
        Assert.Equal(TimeSpan.FromHours(2), refused.RetryAfter);

        _time.Advance(TimeSpan.FromHours(2));
        var nextDay = await ledger.ReserveAsync(ProjectScopes(tenant, microdollars: 1_000), new CallSpend(10, 1_000));
        Assert.True(nextDay.Admitted);
    }

    [Fact]
    public async Task A_week_budget_runs_until_monday_and_a_month_budget_across_it()
    {
        var ledger = Ledger();
        var tenant = NewTenant();
        var week = ProjectScopes(tenant, tokens: 100, period: BudgetPeriod.Week);
        await ledger.SettleAsync((await ledger.ReserveAsync(week, 100)).Reservation!, 100);
        var month = ProjectScopes(tenant, tokens: 100, period: BudgetPeriod.Month);
        await ledger.SettleAsync((await ledger.ReserveAsync(month, 100)).Reservation!, 100);

        _time.Advance(TimeSpan.FromHours(3)); // Monday 01:00
        Assert.True((await ledger.ReserveAsync(ProjectScopes(tenant, tokens: 100, period: BudgetPeriod.Week), 100)).Admitted);
        var stillDecember = await ledger.ReserveAsync(ProjectScopes(tenant, tokens: 100, period: BudgetPeriod.Month), 1);
        Assert.False(stillDecember.Admitted);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero) - _time.GetUtcNow(), stillDecember.RetryAfter);
    }

    [Fact]
    public async Task One_call_books_its_tokens_in_token_budgets_and_its_cost_in_dollar_budgets()
    {
        var ledger = Ledger();
        var scopes = ProjectScopes(NewTenant(), tokens: 10_000, microdollars: 1_000_000);
        var reservation = (await ledger.ReserveAsync(scopes, new CallSpend(600, 5_000))).Reservation!;
        Assert.Equal((0, 600), await ledger.ReadAsync(scopes[0]));
        Assert.Equal((0, 5_000), await ledger.ReadAsync(scopes[1]));

        await ledger.SettleAsync(reservation, new CallSpend(70, 431));

        Assert.Equal((70, 0), await ledger.ReadAsync(scopes[0]));
        Assert.Equal((431, 0), await ledger.ReadAsync(scopes[1]));
    }

    [Fact]
    public async Task A_call_too_dear_for_the_dollar_budget_is_refused_though_its_tokens_fit()
    {
        var ledger = Ledger();
        var scopes = ProjectScopes(NewTenant(), tokens: 10_000, microdollars: 500);

        var result = await ledger.ReserveAsync(scopes, new CallSpend(60, 501));

        Assert.False(result.Admitted);
        Assert.Equal(QuotaUnit.Microdollars, result.RefusedBy!.Unit);
        Assert.Equal(500, result.Remaining);
        Assert.Equal((0, 0), await ledger.ReadAsync(scopes[0])); // nothing held on the budget that had room
    }

    [Fact]
    public async Task Sixty_four_concurrent_settles_that_cross_a_threshold_write_exactly_one_alert_per_threshold()
    {
        var ledger = Ledger();
        var tenant = NewTenant();
        var scopes = ProjectScopes(tenant, microdollars: 64_000, thresholds: [50, 80, 100]);
        var reservations = await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ => (await ledger.ReserveAsync(scopes, new CallSpend(1, 1_000), tenantId: tenant)).Reservation!));
        var alerts = new BudgetAlerts(Outbox(), _time, NullLogger<BudgetAlerts>.Instance);

        // Every settle books 1,000 of 64,000: together they cross 50 %, 80 % and 100 % once each, whichever lands when.
        await Task.WhenAll(reservations.Select(async r => await alerts.PublishAsync(r, await ledger.SettleAsync(r, new CallSpend(1, 1_000)))));

        var entries = await AlertsOfAsync(tenant);
        Assert.Equal([50, 80, 100], entries.Select(e => e.ThresholdPercent).Order());
        Assert.Equal(3, entries.Select(e => e.AlertId).Distinct().Count());
        var hundred = entries.Single(e => e.ThresholdPercent == 100);
        Assert.Equal(("project", "usd", "day", "prj_marketing"), (hundred.Level, hundred.Unit, hundred.Period, hundred.ProjectId));
        Assert.Equal(0.064m, hundred.Limit);
        Assert.Equal(0.064m, hundred.Used);
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero), hundred.PeriodStart);
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero), hundred.PeriodEnd);
    }

    [Fact]
    public async Task A_settle_retried_after_its_answer_was_lost_reports_its_own_crossing_again_under_the_same_alert_id_and_no_other()
    {
        var ledger = Ledger();
        var tenant = NewTenant();
        var scopes = ProjectScopes(tenant, microdollars: 1_000, thresholds: [50, 100]);
        var first = (await ledger.ReserveAsync(scopes, new CallSpend(1, 600), tenantId: tenant)).Reservation!;
        var second = (await ledger.ReserveAsync(scopes, new CallSpend(1, 400), tenantId: tenant)).Reservation!;
        var crossedFirst = await ledger.SettleAsync(first, new CallSpend(1, 600)); // its answer "lost" (a timeout)
        await ledger.SettleAsync(second, new CallSpend(1, 400));

        var retried = await ledger.SettleAsync(first, new CallSpend(1, 600)); // the reconciler's retry

        Assert.Equal(50, Assert.Single(crossedFirst).ThresholdPercent);
        Assert.Equal(50, Assert.Single(retried).ThresholdPercent); // not the 100 % the other settle made
        Assert.Equal((1_000L, 0L), await ledger.ReadAsync(scopes[0])); // booked once
        Assert.Equal(BudgetAlerts.ToEvent(tenant, crossedFirst[0], _time.GetUtcNow()).AlertId, BudgetAlerts.ToEvent(tenant, retried[0], _time.GetUtcNow()).AlertId);
    }

    [Fact]
    public async Task The_tenants_monthly_token_quota_alerts_at_80_and_100_percent_by_default()
    {
        var ledger = Ledger();
        var tenant = NewTenant();
        var scopes = QuotaScopes.For(tenant, 0, monthlyQuota: 1_000, _time.GetUtcNow());
        var r = (await ledger.ReserveAsync(scopes, 900, tenantId: tenant)).Reservation!;

        var crossing = Assert.Single(await ledger.SettleAsync(r, 850));

        var alert = BudgetAlerts.ToEvent(tenant, crossing, _time.GetUtcNow());
        Assert.Equal(("tenant", "monthly token quota", "tokens", "month", 80, 1_000m, 850m),
            (alert.Level, alert.Budget, alert.Unit, alert.Period, alert.ThresholdPercent, alert.Limit, alert.Used));
        Assert.Null(alert.ProjectId);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), alert.PeriodEnd);
    }

    [Fact]
    public async Task A_threshold_alerts_again_in_the_next_period_but_not_twice_in_one()
    {
        var ledger = Ledger();
        var tenant = NewTenant();
        var alerts = new BudgetAlerts(Outbox(), _time, NullLogger<BudgetAlerts>.Instance);
        async Task SpendAsync(long microdollars)
        {
            var scopes = ProjectScopes(tenant, microdollars: 1_000, thresholds: [80]);
            var r = (await ledger.ReserveAsync(scopes, new CallSpend(1, microdollars), tenantId: tenant)).Reservation!;
            await alerts.PublishAsync(r, await ledger.SettleAsync(r, new CallSpend(1, microdollars)));
        }

        await SpendAsync(850);
        await SpendAsync(100); // already past 80 %: no new crossing
        _time.Advance(TimeSpan.FromHours(3));
        await SpendAsync(900);

        var entries = await AlertsOfAsync(tenant);
        Assert.Equal(2, entries.Count);
        Assert.Equal(2, entries.Select(e => e.PeriodStart).Distinct().Count());
    }

    [Fact]
    public async Task A_budget_without_thresholds_never_alerts()
    {
        var ledger = Ledger();
        var tenant = NewTenant();
        var scopes = ProjectScopes(tenant, tokens: 100, thresholds: []);
        var r = (await ledger.ReserveAsync(scopes, 100)).Reservation!;

        Assert.Empty(await ledger.SettleAsync(r, 100));
    }

    private StreamOutbox Outbox() => new(redis.Connection, Options.Create(new StreamOutboxOptions
    {
        SpoolDirectory = Path.Combine(Path.GetTempPath(), "agentcloud-alert-outbox-" + Guid.NewGuid().ToString("N")),
    }), NullLogger<StreamOutbox>.Instance);

    private async Task<List<BudgetThresholdCrossed>> AlertsOfAsync(string tenant) =>
        (await redis.Connection.GetDatabase().StreamRangeAsync(BudgetThresholdCrossed.StreamName))
            .Select(e => BudgetThresholdCrossed.Decode(e[BudgetThresholdCrossed.EncodedField]))
            .Where(e => e?.TenantId == tenant)
            .Select(e => e!)
            .ToList();
}
