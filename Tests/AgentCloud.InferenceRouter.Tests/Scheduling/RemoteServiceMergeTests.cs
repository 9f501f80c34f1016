namespace AgentCloud.InferenceRouter.Tests.Scheduling;

/// <summary>
/// Merging what other replicas served a tenant into its counter here: only growth seen while the tenant is active
/// here is charged, never its history elsewhere, and a total that went down (Redis lost it) does not stop merging.
/// </summary>
public sealed class RemoteServiceMergeTests
{
    private static async Task<List<string>> ServeAsync(SchedulerDriver driver, int calls)
    {
        var order = new List<string>();
        for (var i = 0; i < calls; i++)
        {
            order.Add((await driver.ServeNextAsync()).Tenant);
        }
        return order;
    }

    private static SchedulerDriver TwoBackloggedTenants()
    {
        var driver = new SchedulerDriver();
        for (var i = 0; i < 4; i++)
        {
            driver.Submit("a", 10);
            driver.Submit("b", 10);
        }
        return driver;
    }

    [Fact]
    public async Task A_tenants_first_total_from_other_replicas_is_a_baseline_and_does_not_charge_its_whole_history()
    {
        var driver = TwoBackloggedTenants();
        driver.Scheduler.ApplyRemoteService(new Dictionary<string, double> { ["b"] = 1_000_000 });

        var order = await ServeAsync(driver, 4);

        Assert.Equal(2, order.Count(t => t == "b")); // charged the million, b would wait behind all of a's calls
    }

    [Fact]
    public async Task Growth_elsewhere_after_the_baseline_is_charged()
    {
        var driver = TwoBackloggedTenants();
        driver.Scheduler.ApplyRemoteService(new Dictionary<string, double> { ["b"] = 1000 });
        driver.Scheduler.ApplyRemoteService(new Dictionary<string, double> { ["b"] = 2000 });

        var order = await ServeAsync(driver, 4);

        Assert.Equal(["a", "a", "a", "a"], order); // b's 1000 more puts all of a's calls first
    }

    [Fact]
    public async Task A_total_that_went_down_becomes_the_new_baseline_and_later_growth_is_charged()
    {
        var driver = TwoBackloggedTenants();
        driver.Scheduler.ApplyRemoteService(new Dictionary<string, double> { ["b"] = 1000 });
        driver.Scheduler.ApplyRemoteService(new Dictionary<string, double> { ["b"] = 5 }); // Redis lost the served hash
        driver.Scheduler.ApplyRemoteService(new Dictionary<string, double> { ["b"] = 905 });

        var order = await ServeAsync(driver, 4);

        Assert.Equal(["a", "a", "a", "a"], order); // without the rebase 905 < 1000 would charge nothing
    }

    [Fact]
    public async Task A_tenant_back_from_idle_is_not_charged_what_it_was_served_elsewhere_meanwhile()
    {
        var driver = new SchedulerDriver();
        driver.Submit("b", 10);
        driver.Scheduler.ApplyRemoteService(new Dictionary<string, double> { ["b"] = 100 });
        await ServeAsync(driver, 1); // b idle here now
        for (var i = 0; i < 4; i++)
        {
            driver.Submit("a", 10);
            driver.Submit("b", 10);
        }
        driver.Scheduler.ApplyRemoteService(new Dictionary<string, double> { ["b"] = 1_000_000 });

        var order = await ServeAsync(driver, 4);

        Assert.Contains("b", order); // charged the million, b would wait behind all four of a's calls
    }
}
