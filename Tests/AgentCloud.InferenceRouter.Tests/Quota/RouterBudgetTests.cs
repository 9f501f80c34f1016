using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Quota;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Budgets;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.InferenceRouter.Tests.Quota;

/// <summary>Period budgets of projects and keys, in weighted tokens and in dollars, in the router's path: real router, simulators, Redis.</summary>
[Collection(RouterCollection.Name)]
public sealed class RouterBudgetTests(RouterPlatform platform)
{
    private static readonly IReadOnlyList<ModelEntitlement> BothModels = [new("sim-small", 8192), new("sim-large", 8192)];

    private (TenantContext Tenant, TenantContext Key) ProjectKey(PeriodBudgets budgets, string project = "prj_marketing")
    {
        var tenant = platform.Policies.Add("pro", models: BothModels);
        platform.Policies.Change(tenant.TenantId, p => p with { TokensPerMinute = 1_000_000 });
        return (tenant, tenant with { Principal = "key:key_m_" + tenant.TenantId, ProjectId = project, Budgets = budgets });
    }

    [Fact]
    public async Task A_projects_weighted_tokens_per_day_spent_refuse_its_keys_as_a_project_budget_until_midnight_utc()
    {
        var (_, key) = ProjectKey(new PeriodBudgets(ProjectTokens: 150, ProjectPeriod: BudgetPeriod.Day));
        using var client = platform.Router.ClientFor(key);

        var refusal = await CallUntilRefusedAsync(client, "sim-small");

        await AssertRefusedAsync(refusal, "project-budget-exceeded", "project tokens per day", BudgetPeriod.Day);
    }

    [Fact]
    public async Task A_projects_dollars_per_week_spent_refuse_its_keys_as_a_project_budget_until_monday()
    {
        var (tenant, key) = ProjectKey(new PeriodBudgets(ProjectMicrodollars: 100, ProjectPeriod: BudgetPeriod.Week));
        using var client = platform.Router.ClientFor(key);

        var refusal = await CallUntilRefusedAsync(client, "sim-small");

        await AssertRefusedAsync(refusal, "project-budget-exceeded", "project dollars per week", BudgetPeriod.Week);
        Assert.False(refusal.Headers.Contains("x-ratelimit-remaining-tokens")); // what is left is dollars, not tokens
        var spent = (await UsageStream.ForTenantAsync(platform.Redis.Connection, tenant.TenantId)).Sum(RouterHost.Microdollars);
        Assert.InRange(spent, 1, 100);
    }

    [Fact]
    public async Task A_keys_dollar_budget_spent_refuses_that_key_as_a_key_budget_while_a_sibling_key_goes_on()
    {
        var (tenant, key) = ProjectKey(new PeriodBudgets(KeyMicrodollars: 100, KeyPeriod: BudgetPeriod.Month));
        var sibling = tenant with { Principal = "key:key_sibling_" + tenant.TenantId };
        using var client = platform.Router.ClientFor(key);
        using var siblingClient = platform.Router.ClientFor(sibling);

        var refusal = await CallUntilRefusedAsync(client, "sim-small");
        using var fromSibling = await Chat.PostAsync(siblingClient, Chat.Body("the other key", extra: b => b["max_tokens"] = 50));

        await AssertRefusedAsync(refusal, "key-budget-exceeded", "key dollars per month", BudgetPeriod.Month);
        Assert.Equal(HttpStatusCode.OK, fromSibling.StatusCode);
    }

    [Fact]
    public async Task A_run_key_spends_its_creators_dollar_budget_so_a_sandbox_cannot_escape_it()
    {
        var tenant = platform.Policies.Add("pro", models: BothModels);
        var keyBudget = new PeriodBudgets(KeyMicrodollars: 100, KeyPeriod: BudgetPeriod.Day);
        var creator = tenant with { Principal = "key:key_orch_" + tenant.TenantId, Budgets = keyBudget };
        var run = tenant with
        {
            Principal = "key:key_run_" + tenant.TenantId, RunId = "sbx_" + tenant.TenantId,
            Budgets = keyBudget with { KeyBudgetOwner = "key_orch_" + tenant.TenantId },
        };
        using var creatorClient = platform.Router.ClientFor(creator);
        using var runClient = platform.Router.ClientFor(run);

        (await CallUntilRefusedAsync(creatorClient, "sim-small")).Dispose();
        using var fromRun = await Chat.PostAsync(runClient, Chat.Body("the sandbox tries", extra: b => b["max_tokens"] = 50));

        await AssertRefusedAsync(fromRun, "key-budget-exceeded", "key dollars per day", BudgetPeriod.Day);
    }

    [Fact]
    public async Task A_dollar_budget_prices_each_model_at_its_own_price_and_tokens_at_its_own_burndown()
    {
        // Room for sim-small's worst case (about 35 micro-dollars) but not sim-large's (about 530): the same call is dearer there.
        var (tenant, key) = ProjectKey(new PeriodBudgets(ProjectTokens: 100_000, ProjectMicrodollars: 300, ProjectPeriod: BudgetPeriod.Day));
        using var client = platform.Router.ClientFor(key);

        using var small = await Chat.PostAsync(client, Chat.Body("a cheap question", extra: b => b["max_tokens"] = 50));
        using var large = await Chat.PostAsync(client, Chat.Body("a dear question", model: "sim-large", extra: b => b["max_tokens"] = 50));
        using var largeShort = await Chat.PostAsync(client, Chat.Body("a dear question", model: "sim-large", extra: b => b["max_tokens"] = 5));

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, large.StatusCode);
        Assert.Contains("project dollars per day", await DetailAsync(large));
        Assert.Equal(HttpStatusCode.OK, largeShort.StatusCode);
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 2);
        var scopes = QuotaScopes.For(tenant.TenantId, 0, 0, DateTimeOffset.UtcNow, projectId: key.ProjectId, budgets: key.Budgets);
        var ledger = new TokenLedger(platform.Redis.Connection, TimeProvider.System);
        // Each budget holds exactly the settled spend in its unit: weighted tokens (sim-large's output 5x) and micro-dollars at each model's price.
        Assert.Equal((events.Sum(e => e.WeightedTokens), 0L), await ledger.ReadAsync(scopes.Single(s => s.Unit == QuotaUnit.Tokens)));
        Assert.Equal((events.Sum(RouterHost.Microdollars), 0L), await ledger.ReadAsync(scopes.Single(s => s.Unit == QuotaUnit.Microdollars)));
        var largeEvent = events.Single(e => e.Resource == "sim-large");
        Assert.True(largeEvent.WeightedTokens > largeEvent.InputTokens + largeEvent.OutputTokens, "sim-large's output burns 5x");
    }

    [Fact]
    public async Task Sixty_four_concurrent_calls_of_two_keys_of_one_project_never_pass_its_dollar_budget_while_another_project_goes_on()
    {
        const long budget = 350; // about ten sim-small calls of a short prompt and max_tokens 50
        var (tenant, first) = ProjectKey(new PeriodBudgets(ProjectMicrodollars: budget, ProjectPeriod: BudgetPeriod.Day));
        var second = first with { Principal = "key:key_second_" + tenant.TenantId };
        var other = tenant with { Principal = "key:key_data_" + tenant.TenantId, ProjectId = "prj_data", Budgets = first.Budgets };
        using var firstClient = platform.Router.ClientFor(first);
        using var secondClient = platform.Router.ClientFor(second);
        using var otherClient = platform.Router.ClientFor(other);

        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Chat.PostAsync(i % 2 == 0 ? firstClient : secondClient, Chat.Body($"sub-agent {i} reports in", extra: b => b["max_tokens"] = 50))));
        using var fromOther = await Chat.PostAsync(otherClient, Chat.Body("the other project", extra: b => b["max_tokens"] = 50));

        var admitted = responses.Count(r => r.IsSuccessStatusCode);
        Assert.InRange(admitted, 5, 14);
        Assert.All(responses.Where(r => !r.IsSuccessStatusCode), r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
        await AssertRefusedAsync(responses.First(r => !r.IsSuccessStatusCode), "project-budget-exceeded", "project dollars per day", BudgetPeriod.Day);
        Assert.Equal(HttpStatusCode.OK, fromOther.StatusCode);
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, admitted + 1);
        var byProject = events.Where(e => e.ProjectId == "prj_marketing").Sum(RouterHost.Microdollars);
        Assert.True(byProject <= budget, $"the project spent {byProject} of its {budget} micro-dollars");
    }

    [Fact]
    public async Task Crossing_a_projects_alert_threshold_writes_one_alert_naming_the_project_and_budget()
    {
        var (tenant, key) = ProjectKey(new PeriodBudgets(ProjectMicrodollars: 100, ProjectPeriod: BudgetPeriod.Day, ProjectAlertThresholds: [50]));
        using var client = platform.Router.ClientFor(key);

        (await CallUntilRefusedAsync(client, "sim-small")).Dispose();

        var alert = Assert.Single(await BudgetAlertsAsync(tenant.TenantId));
        Assert.Equal(("project", "prj_marketing", "project dollars per day", 50, "usd"), (alert.Level, alert.ProjectId, alert.Budget, alert.ThresholdPercent, alert.Unit));
        Assert.Equal(0.0001m, alert.Limit);
        Assert.InRange(alert.Used, 0.00005m, 0.0001m);
    }

    [Fact]
    public async Task A_projects_day_budget_spent_is_refused_until_midnight_utc_on_the_routers_clock_and_admits_again_after_it()
    {
        // The router's own clock, five minutes before a UTC midnight.
        var now = DateTimeOffset.UtcNow;
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(BudgetPeriod.Day.End(now).AddDays(1).AddMinutes(-5));
        using var simulator = new SimulatorHost("clocked", RouterPlatform.Models);
        using var router = new RouterHost(platform.Redis.ConnectionString, platform.Policies, [new EndpointSpec("clocked-0", simulator)], time: clock);
        var (_, key) = ProjectKey(new PeriodBudgets(ProjectMicrodollars: 100, ProjectPeriod: BudgetPeriod.Day));
        using var client = router.ClientFor(key);

        using var refused = await CallUntilRefusedAsync(client, "sim-small");
        Assert.Equal(TimeSpan.FromMinutes(5), refused.Headers.RetryAfter!.Delta);
        clock.Advance(TimeSpan.FromMinutes(5));
        using var nextDay = await Chat.PostAsync(client, Chat.Body("a new day", extra: b => b["max_tokens"] = 50));

        Assert.Equal(HttpStatusCode.OK, nextDay.StatusCode);
    }

    /// <summary>Calls (at most 20, one at a time) until the first refusal, which it returns.</summary>
    private static async Task<HttpResponseMessage> CallUntilRefusedAsync(HttpClient client, string model)
    {
        for (var i = 0; i < 20; i++)
        {
            var response = await Chat.PostAsync(client, Chat.Body($"step {i}", model: model, extra: b => b["max_tokens"] = 50));
            if (!response.IsSuccessStatusCode)
            {
                return response;
            }
            response.Dispose();
        }
        throw new Xunit.Sdk.XunitException("20 calls were all admitted: the budget was never applied");
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage refusal, string type, string budget, BudgetPeriod period)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, refusal.StatusCode);
        Assert.Equal("application/problem+json", refusal.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await refusal.Content.ReadAsStringAsync())!;
        Assert.Equal("https://agentcloud.dev/problems/" + type, problem["type"]!.GetValue<string>());
        Assert.Contains(budget, problem["detail"]!.GetValue<string>());
        // Until the period's end as the router saw it when it refused (some seconds ago under 64 concurrent calls).
        var untilReset = (period.End(DateTimeOffset.UtcNow) - DateTimeOffset.UtcNow).TotalSeconds;
        var retryAfter = Assert.IsType<RetryConditionHeaderValue>(refusal.Headers.RetryAfter).Delta!.Value.TotalSeconds;
        Assert.InRange(retryAfter, untilReset - 120, untilReset + 120);
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();

    private async Task<List<BudgetThresholdCrossed>> BudgetAlertsAsync(string tenantId) =>
        (await platform.Redis.Connection.GetDatabase().StreamRangeAsync(BudgetThresholdCrossed.StreamName))
            .Select(e => BudgetThresholdCrossed.Decode(e[BudgetThresholdCrossed.EncodedField]))
            .Where(e => e?.TenantId == tenantId)
            .Select(e => e!)
            .ToList();
}
