using AgentCloud.InferenceRouter.Quota;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.InferenceRouter.Tests.Quota;

/// <summary>The shared reservation ledger on a real redis-server.</summary>
public sealed class TokenLedgerTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 10, TimeSpan.Zero));

    private TokenLedger Ledger() => new(redis.Connection, _time);

    private static string NewTenant() => "t" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Sixty_four_concurrent_calls_never_spend_past_the_budget()
    {
        var ledger = Ledger();
        var tenant = NewTenant();
        const long budget = 10_000;
        var scopes = QuotaScopes.For(tenant, tokensPerMinute: budget, monthlyQuota: 0, _time.GetUtcNow());
        long spent = 0;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            var worstCase = 900 + (i % 5) * 50; // 900..1100
            var result = await ledger.ReserveAsync(scopes, worstCase);
            if (result.Admitted)
            {
                var actual = worstCase - 100;
                Interlocked.Add(ref spent, actual);
                await ledger.SettleAsync(result.Reservation!, actual);
            }
            return result;
        }));

        var admitted = outcomes.Count(o => o.Admitted);
        Assert.InRange(admitted, 9, 12);
        Assert.True(spent <= budget, $"spent {spent} of {budget}");
        Assert.All(outcomes.Where(o => !o.Admitted), o =>
        {
            Assert.Equal("tokens per minute", o.RefusedBy!.Name);
            Assert.True(o.RetryAfter > TimeSpan.Zero);
        });
        var (used, reserved) = await ledger.ReadAsync(scopes[0]);
        Assert.Equal(spent, used);
        Assert.Equal(0, reserved);
    }

    [Fact]
    public async Task The_budget_returns_in_the_next_window()
    {
        var ledger = Ledger();
        var tenant = NewTenant();
        var first = await ledger.ReserveAsync(QuotaScopes.For(tenant, 1_000, 0, _time.GetUtcNow()), 1_000);
        Assert.True(first.Admitted);
        Assert.False((await ledger.ReserveAsync(QuotaScopes.For(tenant, 1_000, 0, _time.GetUtcNow()), 1)).Admitted);

        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.True((await ledger.ReserveAsync(QuotaScopes.For(tenant, 1_000, 0, _time.GetUtcNow()), 1_000)).Admitted);
    }

    [Fact]
    public async Task A_reservation_whose_caller_vanished_is_released_after_it_expires()
    {
        var ledger = Ledger();
        var scopes = QuotaScopes.For(NewTenant(), 0, monthlyQuota: 5_000, _time.GetUtcNow());
        var abandoned = await ledger.ReserveAsync(scopes, 5_000, TimeSpan.FromSeconds(30));
        Assert.True(abandoned.Admitted);
        Assert.False((await ledger.ReserveAsync(scopes, 1)).Admitted);

        _time.Advance(TimeSpan.FromSeconds(31));

        Assert.True((await ledger.ReserveAsync(scopes, 5_000)).Admitted);
    }

    [Fact]
    public async Task A_call_is_charged_exactly_its_weighted_tokens()
    {
        var ledger = Ledger();
        var scopes = QuotaScopes.For(NewTenant(), 100_000, 0, _time.GetUtcNow());
        var multipliers = new BurndownMultipliers(Input: 1, CachedInput: 0.1, Output: 5);
        var reservation = (await ledger.ReserveAsync(scopes, multipliers.Weigh(150, 0, 256))).Reservation!;

        await ledger.SettleAsync(reservation, multipliers.Weigh(uncachedInput: 100, cachedInput: 50, output: 20));

        Assert.Equal((205L, 0L), await ledger.ReadAsync(scopes[0]));
    }

    [Fact]
    public async Task A_call_must_fit_every_budget_and_reserves_none_when_one_refuses()
    {
        var ledger = Ledger();
        var scopes = QuotaScopes.For(NewTenant(), tokensPerMinute: 10_000, monthlyQuota: 500, _time.GetUtcNow());

        var result = await ledger.ReserveAsync(scopes, 600);

        Assert.False(result.Admitted);
        Assert.Equal("monthly token quota", result.RefusedBy!.Name);
        Assert.Equal(500, result.Remaining);
        Assert.Equal((0L, 0L), await ledger.ReadAsync(scopes[0]));
    }

    [Fact]
    public async Task One_tenant_spending_its_budget_leaves_another_tenants_budget_untouched()
    {
        var ledger = Ledger();
        var (a, b) = (NewTenant(), NewTenant());
        Assert.True((await ledger.ReserveAsync(QuotaScopes.For(a, 1_000, 0, _time.GetUtcNow()), 1_000)).Admitted);

        var forB = await ledger.ReserveAsync(QuotaScopes.For(b, 1_000, 0, _time.GetUtcNow()), 1_000);

        Assert.True(forB.Admitted);
        Assert.All(QuotaScopes.For(a, 1, 1, _time.GetUtcNow(), "run", 1, "ep", 1).Take(3), s => Assert.StartsWith($"{{t:{a}}}", s.Key));
    }

    [Fact]
    public async Task A_project_id_another_tenant_also_uses_is_another_budget()
    {
        var ledger = Ledger();
        var (a, b) = (NewTenant(), NewTenant());
        var forA = QuotaScopes.For(a, 0, 0, _time.GetUtcNow(), projectId: "prj_same", projectTokensPerMinute: 1_000);
        Assert.True((await ledger.ReserveAsync(forA, 1_000)).Admitted);

        var forB = await ledger.ReserveAsync(QuotaScopes.For(b, 0, 0, _time.GetUtcNow(), projectId: "prj_same", projectTokensPerMinute: 1_000), 1_000);

        Assert.True(forB.Admitted);
        Assert.Equal("project tokens per minute", Assert.Single(forA).Name);
        Assert.StartsWith($"{{t:{a}}}", forA[0].Key);
    }

    [Fact]
    public void Weighted_tokens_round_up_so_no_fraction_is_free()
    {
        var multipliers = new BurndownMultipliers(Input: 1, CachedInput: 0.1, Output: 5);

        Assert.Equal(1, multipliers.Weigh(0, 1, 0));
        Assert.Equal(10, multipliers.Weigh(0, 0, 2));
        Assert.Equal(0, multipliers.Weigh(0, 0, 0));
    }

    [Fact]
    public async Task A_settle_retried_after_a_timeout_books_the_tokens_once()
    {
        var ledger = Ledger();
        var scopes = QuotaScopes.For(NewTenant(), tokensPerMinute: 10_000, monthlyQuota: 0, _time.GetUtcNow());
        var reservation = (await ledger.ReserveAsync(scopes, 500)).Reservation!;

        await ledger.SettleAsync(reservation, 120);
        await ledger.SettleAsync(reservation, 120); // the reconciler's retry of a settle that did run after all

        Assert.Equal((120, 0), await ledger.ReadAsync(scopes[0]));
    }

    [Fact]
    public async Task A_provisional_call_booked_by_the_reconciler_counts_once_in_redis_and_no_longer_locally()
    {
        var ledger = Ledger();
        var provisional = new ProvisionalLedger(_time);
        var scopes = QuotaScopes.For(NewTenant(), tokensPerMinute: 1_000, monthlyQuota: 0, _time.GetUtcNow());
        var held = provisional.Reserve(scopes, 600, TimeSpan.FromMinutes(2));
        Assert.True(held.Admitted);
        Assert.False(provisional.Reserve(scopes, 600, TimeSpan.FromMinutes(2)).Admitted); // the local count enforces the budget meanwhile

        provisional.Defer(held.Reservation!, 250);
        Assert.Equal(250, provisional.TakenLocally(scopes[0].Key));
        Assert.True(provisional.TryPeek(out var pending));
        await ledger.SettleAsync(pending!.Reservation, pending.Actual);
        provisional.Booked(pending);

        Assert.Equal(0, provisional.TakenLocally(scopes[0].Key));
        Assert.Equal((250, 0), await ledger.ReadAsync(scopes[0]));
    }
}
