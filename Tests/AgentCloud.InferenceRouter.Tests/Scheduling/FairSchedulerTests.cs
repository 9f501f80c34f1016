using AgentCloud.InferenceRouter.Scheduling;

namespace AgentCloud.InferenceRouter.Tests.Scheduling;

public sealed class FairSchedulerTests
{
    private static double CostOf(int i) => 10 + (i * 37 % 91); // deterministic, 10..100

    [Fact]
    public async Task Two_backlogged_equal_weight_tenants_are_served_within_the_vtc_bound()
    {
        var driver = new SchedulerDriver();
        driver.Submit("warmup", 1);
        for (var i = 0; i < 60; i++)
        {
            driver.Submit("a", CostOf(i));
            driver.Submit("b", CostOf(i + 7));
        }
        var served = new Dictionary<string, double> { ["a"] = 0, ["b"] = 0, ["warmup"] = 0 };
        const double bound = 2 * 100; // 2U, U = the largest single call's cost

        while (driver.PendingOf("a") > 0 && driver.PendingOf("b") > 0)
        {
            var (tenant, cost) = await driver.ServeNextAsync();
            served[tenant] += cost;
            Assert.True(Math.Abs(served["a"] - served["b"]) <= bound, $"a={served["a"]} b={served["b"]}");
        }
    }

    [Fact]
    public async Task Weights_one_and_three_share_service_one_to_three()
    {
        var driver = new SchedulerDriver();
        driver.Submit("warmup", 1);
        for (var i = 0; i < 200; i++)
        {
            driver.Submit("light", 50, weight: 1);
            driver.Submit("heavy", 50, weight: 3);
        }
        var served = new Dictionary<string, double> { ["light"] = 0, ["heavy"] = 0, ["warmup"] = 0 };

        for (var i = 0; i < 201; i++)
        {
            var (tenant, cost) = await driver.ServeNextAsync();
            served[tenant] += cost;
        }

        var ratio = served["heavy"] / served["light"];
        Assert.InRange(ratio, 2.8, 3.2);
    }

    [Fact]
    public async Task A_tenants_interactive_call_is_served_before_its_queued_batch_calls()
    {
        var driver = new SchedulerDriver();
        driver.Submit("a", 10, lane: Lane.Batch); // takes the slot
        for (var i = 0; i < 5; i++)
        {
            driver.Submit("a", 10, lane: Lane.Batch);
        }
        driver.Submit("a", 11, lane: Lane.Interactive);

        await driver.ServeNextAsync();
        var next = await driver.ServeNextAsync();

        Assert.Equal(11, next.Cost);
    }

    [Fact]
    public async Task A_tenant_returning_from_idle_cannot_spend_banked_credit()
    {
        var driver = new SchedulerDriver();
        for (var i = 0; i < 21; i++)
        {
            driver.Submit("busy", 100);
        }
        for (var i = 0; i < 20; i++)
        {
            await driver.ServeNextAsync(); // "idle" is away meanwhile
        }
        for (var i = 0; i < 20; i++)
        {
            driver.Submit("idle", 100);
            driver.Submit("busy", 100);
        }

        await driver.ServeNextAsync(); // the busy call already in the slot
        var next = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            next.Add((await driver.ServeNextAsync()).Tenant);
        }

        Assert.InRange(next.Count(t => t == "idle"), 4, 6);
    }

    [Fact]
    public async Task A_light_tenant_waits_at_most_one_service_time_behind_a_heavy_backlog()
    {
        var driver = new SchedulerDriver();
        for (var i = 0; i < 30; i++)
        {
            driver.Submit("heavy", 100);
        }
        await driver.ServeNextAsync();
        await driver.ServeNextAsync();

        driver.Submit("light", 100);
        await driver.ServeNextAsync(); // heavy's call already in flight when light arrived
        var (tenant, _) = await driver.ServeNextAsync();

        Assert.Equal("light", tenant);
        Assert.True(driver.Served.Last().Waited <= TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task First_come_first_served_makes_the_light_tenant_wait_behind_the_whole_backlog()
    {
        var driver = new SchedulerDriver(SchedulingPolicy.Fifo);
        for (var i = 0; i < 30; i++)
        {
            driver.Submit("heavy", 100);
        }
        driver.Submit("light", 100);

        while (driver.HasPending)
        {
            await driver.ServeNextAsync();
        }

        var light = driver.Served.Single(s => s.Tenant == "light");
        Assert.Equal(TimeSpan.FromMilliseconds(30 * 100), light.Waited);
    }

    [Fact]
    public async Task A_full_tenant_queue_refuses_further_calls()
    {
        var driver = new SchedulerDriver(maxQueuedPerTenant: 2);
        driver.Submit("a", 10);
        driver.Submit("a", 10);
        driver.Submit("a", 10);

        var e = await Assert.ThrowsAsync<SchedulerRejectedException>(() =>
            driver.Scheduler.AcquireAsync(new SchedulingRequest("a", 1, Lane.Interactive, 10)).AsTask());

        Assert.Equal(SchedulerRejection.QueueFull, e.Reason);
        Assert.True(e.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_call_that_waits_past_the_deadline_is_refused_and_leaves_the_queue()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var scheduler = new FairScheduler(new FairSchedulerOptions { MaxInFlight = 1, MaxWait = TimeSpan.FromSeconds(5) }, time);
        using var first = await scheduler.AcquireAsync(new SchedulingRequest("a", 1, Lane.Interactive, 10));
        var waiting = scheduler.AcquireAsync(new SchedulingRequest("b", 1, Lane.Interactive, 10)).AsTask();

        time.Advance(TimeSpan.FromSeconds(6));

        var e = await Assert.ThrowsAsync<SchedulerRejectedException>(() => waiting);
        Assert.Equal(SchedulerRejection.WaitExpired, e.Reason);
        Assert.Empty(scheduler.QueueDepths());
    }

    [Fact]
    public async Task A_cancelled_waiter_gives_up_its_place_and_the_slot_goes_to_the_next()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var scheduler = new FairScheduler(new FairSchedulerOptions { MaxInFlight = 1 }, time);
        var first = await scheduler.AcquireAsync(new SchedulingRequest("a", 1, Lane.Interactive, 10));
        using var cts = new CancellationTokenSource();
        var cancelled = scheduler.AcquireAsync(new SchedulingRequest("b", 1, Lane.Interactive, 10), cts.Token).AsTask();
        var third = scheduler.AcquireAsync(new SchedulingRequest("c", 1, Lane.Interactive, 10)).AsTask();

        await cts.CancelAsync();
        first.Complete(10);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var lease = await third;
        Assert.Equal("c", lease.TenantId);
        Assert.Equal(1, scheduler.InFlight);
    }

    private static (FairScheduler Scheduler, List<Task<SchedulerLease>> Heavy) HeavyOnFourSlots(SchedulingPolicy policy)
    {
        var scheduler = new FairScheduler(new FairSchedulerOptions { MaxInFlight = 4, ReservedSlots = 1, Policy = policy },
            new Microsoft.Extensions.Time.Testing.FakeTimeProvider());
        var heavy = Enumerable.Range(0, 10).Select(_ => scheduler.AcquireAsync(new SchedulingRequest("heavy", 1, Lane.Interactive, 100)).AsTask()).ToList();
        return (scheduler, heavy);
    }

    [Fact]
    public void A_tenant_alone_leaves_the_reserved_slot_free()
    {
        var (scheduler, heavy) = HeavyOnFourSlots(SchedulingPolicy.Fair);

        Assert.Equal(3, scheduler.InFlight);
        Assert.Equal(3, heavy.Count(t => t.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task A_light_tenant_arriving_beside_a_heavy_backlog_starts_at_once_in_the_reserved_slot()
    {
        var (scheduler, _) = HeavyOnFourSlots(SchedulingPolicy.Fair);

        var light = scheduler.AcquireAsync(new SchedulingRequest("light", 1, Lane.Interactive, 100)).AsTask();

        Assert.True(light.IsCompletedSuccessfully, "the light call had to wait behind the heavy tenant's calls");
        Assert.Equal(TimeSpan.Zero, (await light).Waited);
        Assert.Equal(4, scheduler.InFlight);
    }

    [Fact]
    public void A_second_call_of_the_light_tenant_does_not_take_the_reserved_slot_too()
    {
        var (scheduler, _) = HeavyOnFourSlots(SchedulingPolicy.Fair);
        var first = scheduler.AcquireAsync(new SchedulingRequest("light", 1, Lane.Interactive, 100)).AsTask();

        var second = scheduler.AcquireAsync(new SchedulingRequest("light", 1, Lane.Interactive, 100)).AsTask();

        Assert.True(first.IsCompletedSuccessfully);
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public void First_come_first_served_reserves_nothing()
    {
        var (scheduler, _) = HeavyOnFourSlots(SchedulingPolicy.Fifo);

        var light = scheduler.AcquireAsync(new SchedulingRequest("light", 1, Lane.Interactive, 100)).AsTask();

        Assert.Equal(4, scheduler.InFlight);
        Assert.False(light.IsCompleted);
    }
}
