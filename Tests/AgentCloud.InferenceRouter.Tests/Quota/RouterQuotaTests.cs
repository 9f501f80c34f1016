using System.Net;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;
using System.Globalization;

namespace AgentCloud.InferenceRouter.Tests.Quota;

/// <summary>The token ledger in the router's path: real router, real simulators, real Redis.</summary>
[Collection(RouterCollection.Name)]
public sealed class RouterQuotaTests(RouterPlatform platform)
{
    [Fact]
    public async Task Sixty_four_concurrent_sub_agents_never_spend_past_the_tenants_budget()
    {
        var tenant = platform.Policies.Add("pro");
        const long budget = 600; // about ten calls of a ~10-token prompt and max_tokens 50
        platform.Policies.Change(tenant.TenantId, p => p with { TokensPerMinute = budget });
        using var client = platform.Router.ClientFor(tenant);

        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Chat.PostAsync(client, Chat.Body($"sub-agent {i} reports in", extra: b => b["max_tokens"] = 50))));

        var admitted = responses.Count(r => r.IsSuccessStatusCode);
        var refused = responses.Where(r => !r.IsSuccessStatusCode).ToList();
        Assert.InRange(admitted, 5, 12);
        Assert.All(refused, r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.NotNull(r.Headers.RetryAfter);
            Assert.True(r.Headers.Contains("x-ratelimit-remaining-tokens"));
        });
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, admitted);
        var largestHold = 10 + 50 + 10;
        Assert.True(events.Sum(e => e.WeightedTokens) <= budget + largestHold, $"spent {events.Sum(e => e.WeightedTokens)} of {budget}");
    }

    [Fact]
    public async Task An_admitted_call_reports_the_tokens_left_this_minute()
    {
        var tenant = platform.Policies.Add("pro");
        platform.Policies.Change(tenant.TenantId, p => p with { TokensPerMinute = 100_000 });
        using var client = platform.Router.ClientFor(tenant);

        using var response = await Chat.PostAsync(client, Chat.Body("hello", extra: b => b["max_tokens"] = 10));

        Assert.True(response.IsSuccessStatusCode);
        var left = long.Parse(response.Headers.GetValues("x-ratelimit-remaining-tokens").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(left, 100_000 - 100, 100_000 - 10);
    }

    [Fact]
    public async Task A_known_request_is_charged_exactly_its_weighted_total()
    {
        var tenant = platform.Policies.Add("pro", models: [new("sim-large", 8192)]);
        using var client = platform.Router.ClientFor(tenant);

        var answer = await Chat.CompleteAsync(client, Chat.Body("count my tokens exactly", model: "sim-large", extra: b => b["max_tokens"] = 7));

        var usage = answer["usage"]!;
        var prompt = usage["prompt_tokens"]!.GetValue<long>();
        var cached = usage["prompt_tokens_details"]!["cached_tokens"]!.GetValue<long>();
        var output = usage["completion_tokens"]!.GetValue<long>();
        var expected = (long)Math.Ceiling((prompt - cached) * 1 + cached * 0.1 + output * 5 - 1e-9);
        var usageEvent = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(7, output);
        Assert.Equal(expected, usageEvent.WeightedTokens);
    }

    [Fact]
    public async Task A_runs_budget_stops_that_run_while_another_run_of_the_tenant_goes_on()
    {
        var tenant = platform.Policies.Add("pro");
        platform.Policies.Change(tenant.TenantId, p => p with { RunTokenBudget = 150 });
        var otherRun = tenant with { RunId = "run-other-" + tenant.TenantId };
        using var runClient = platform.Router.ClientFor(tenant);
        using var otherClient = platform.Router.ClientFor(otherRun);

        var statuses = new List<HttpStatusCode>();
        string? refusalType = null;
        for (var i = 0; i < 4; i++)
        {
            using var r = await Chat.PostAsync(runClient, Chat.Body($"step {i}", extra: b => b["max_tokens"] = 50));
            statuses.Add(r.StatusCode);
            refusalType ??= r.IsSuccessStatusCode ? null : JsonNode.Parse(await r.Content.ReadAsStringAsync())!["type"]!.GetValue<string>();
        }
        using var other = await Chat.PostAsync(otherClient, Chat.Body("a fresh run", extra: b => b["max_tokens"] = 50));

        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.Equal("https://agentcloud.dev/problems/run-budget-exceeded", refusalType);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        var run = (await UsageStream.ForTenantAsync(platform.Redis.Connection, tenant.TenantId)).Where(e => e.RunId == tenant.RunId);
        Assert.True(run.Sum(e => e.WeightedTokens) <= 150 + 10 + 50 + 10, "a run never passes its budget by more than one reservation");
    }

    [Fact]
    public async Task Sixty_four_concurrent_calls_of_a_key_with_its_own_budget_never_pass_it_while_a_sibling_key_goes_on()
    {
        var tenant = platform.Policies.Add("pro");
        platform.Policies.Change(tenant.TenantId, p => p with { TokensPerMinute = 1_000_000 });
        const long keyBudget = 600;
        var limited = tenant with { Principal = "key:key_limited_" + tenant.TenantId, KeyTokensPerMinute = keyBudget };
        var sibling = tenant with { Principal = "key:key_sibling_" + tenant.TenantId };
        using var limitedClient = platform.Router.ClientFor(limited);
        using var siblingClient = platform.Router.ClientFor(sibling);

        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Chat.PostAsync(limitedClient, Chat.Body($"sub-agent {i} reports in", extra: b => b["max_tokens"] = 50))));
        using var fromSibling = await Chat.PostAsync(siblingClient, Chat.Body("the other key", extra: b => b["max_tokens"] = 50));

        var admitted = responses.Count(r => r.IsSuccessStatusCode);
        Assert.InRange(admitted, 5, 12);
        var refusal = responses.First(r => !r.IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refusal.StatusCode);
        Assert.NotNull(refusal.Headers.RetryAfter);
        var keyProblem = JsonNode.Parse(await refusal.Content.ReadAsStringAsync())!;
        Assert.Contains("key tokens per minute", keyProblem["detail"]!.GetValue<string>());
        Assert.Equal("https://agentcloud.dev/problems/key-budget-exceeded", keyProblem["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, fromSibling.StatusCode);
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, admitted + 1);
        var byLimitedKey = events.Where(e => e.Principal == limited.Principal).Sum(e => e.WeightedTokens);
        Assert.True(byLimitedKey <= keyBudget + 10 + 50 + 10, $"the key spent {byLimitedKey} of its {keyBudget}");
    }

    [Fact]
    public async Task Sixty_four_concurrent_calls_of_two_keys_of_one_project_never_pass_its_budget_while_a_key_of_another_project_goes_on()
    {
        var tenant = platform.Policies.Add("pro");
        platform.Policies.Change(tenant.TenantId, p => p with { TokensPerMinute = 1_000_000 });
        const long projectBudget = 600;
        var first = tenant with { Principal = "key:key_first_" + tenant.TenantId, ProjectId = "prj_marketing", ProjectTokensPerMinute = projectBudget };
        var second = first with { Principal = "key:key_second_" + tenant.TenantId };
        var otherProject = tenant with { Principal = "key:key_data_" + tenant.TenantId, ProjectId = "prj_data", ProjectTokensPerMinute = projectBudget };
        using var firstClient = platform.Router.ClientFor(first);
        using var secondClient = platform.Router.ClientFor(second);
        using var otherClient = platform.Router.ClientFor(otherProject);

        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Chat.PostAsync(i % 2 == 0 ? firstClient : secondClient, Chat.Body($"sub-agent {i} reports in", extra: b => b["max_tokens"] = 50))));
        using var fromOtherProject = await Chat.PostAsync(otherClient, Chat.Body("the other project", extra: b => b["max_tokens"] = 50));

        var admitted = responses.Count(r => r.IsSuccessStatusCode);
        Assert.InRange(admitted, 5, 12);
        var refusal = responses.First(r => !r.IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refusal.StatusCode);
        Assert.NotNull(refusal.Headers.RetryAfter);
        Assert.Contains("project tokens per minute", JsonNode.Parse(await refusal.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, fromOtherProject.StatusCode);
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, admitted + 1);
        var byProject = events.Where(e => e.Principal == first.Principal || e.Principal == second.Principal).ToList();
        // At most 12 of 64 calls are admitted, so each key (32 calls) is refused by the one budget they share.
        foreach (var parity in new[] { 0, 1 })
        {
            var refusedOfKey = responses.Where((r, i) => i % 2 == parity && !r.IsSuccessStatusCode).ToList();
            Assert.NotEmpty(refusedOfKey);
            Assert.Contains("project tokens per minute", JsonNode.Parse(await refusedOfKey[0].Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
        }
        Assert.All(byProject, e => Assert.Equal("prj_marketing", e.ProjectId));
        Assert.Equal("prj_data", events.Single(e => e.Principal == otherProject.Principal).ProjectId);
        Assert.True(byProject.Sum(e => e.WeightedTokens) <= projectBudget + 10 + 50 + 10, $"the project spent {byProject.Sum(e => e.WeightedTokens)} of its {projectBudget}");
    }

    [Fact]
    public async Task A_monthly_quota_refuses_a_call_that_would_pass_it_and_spends_nothing()
    {
        var tenant = platform.Policies.Add("free");
        platform.Policies.Change(tenant.TenantId, p => p with { MonthlyTokenQuota = 20 });
        using var client = platform.Router.ClientFor(tenant);

        using var response = await Chat.PostAsync(client, Chat.Body("a question that may get a long answer", extra: b => b["max_tokens"] = 100));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("monthly token quota", problem["detail"]!.GetValue<string>());
        Assert.Equal("https://agentcloud.dev/problems/token-budget-exceeded", problem["type"]!.GetValue<string>());
        Assert.Empty(await UsageStream.ForTenantAsync(platform.Redis.Connection, tenant.TenantId));
    }
}
