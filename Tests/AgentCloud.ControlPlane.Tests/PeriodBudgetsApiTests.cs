using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Budgets;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>
/// Period budgets on projects (tokens and dollars per day, week or month, alert thresholds) and keys (a dollar budget):
/// set and read through both APIs, refused 400 when malformed, carried to the Gateway in the key's resolution.
/// </summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class PeriodBudgetsApiTests(ControlPlaneFixture cp)
{
    private static TenantContext Admin(string tenantId) => TestTenantContexts.Tenant(tenantId, "pro", ["inference", "projects:admin", "keys:admin"]);

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.True(response.StatusCode == expected, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task A_project_gets_tokens_and_dollars_per_period_with_month_and_80_100_by_default_and_a_patch_changes_them()
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(Admin(id));

        var created = await JsonOf(await client.PostAsJsonAsync("/v1/projects", new { name = "marketing", tokensPerPeriod = 500_000, dollarsPerPeriod = 10.5m }), HttpStatusCode.Created);
        var projectId = created.GetProperty("id").GetString()!;
        Assert.Equal((500_000L, 10.5m, "month", "[80,100]"), (created.GetProperty("tokensPerPeriod").GetInt64(), created.GetProperty("dollarsPerPeriod").GetDecimal(),
            created.GetProperty("period").GetString(), created.GetProperty("alertThresholds").GetRawText()));

        await JsonOf(await client.PatchAsJsonAsync($"/v1/projects/{projectId}", new { dollarsPerPeriod = 200m, period = "Day", alertThresholds = new[] { 100, 50 } }), HttpStatusCode.OK);
        var read = await JsonOf(await client.GetAsync($"/v1/projects/{projectId}"), HttpStatusCode.OK);
        Assert.Equal((500_000L, 200m, "day", "[50,100]"), (read.GetProperty("tokensPerPeriod").GetInt64(), read.GetProperty("dollarsPerPeriod").GetDecimal(),
            read.GetProperty("period").GetString(), read.GetProperty("alertThresholds").GetRawText()));

        var removed = await JsonOf(await client.PatchAsJsonAsync($"/v1/projects/{projectId}", new { tokensPerPeriod = 0, alertThresholds = Array.Empty<int>() }), HttpStatusCode.OK);
        Assert.Equal((JsonValueKind.Null, "[]"), (removed.GetProperty("tokensPerPeriod").ValueKind, removed.GetProperty("alertThresholds").GetRawText()));
    }

    [Fact]
    public async Task The_operator_sets_a_projects_period_budgets_under_the_admin_api()
    {
        var id = await cp.CreateTenantAsync();
        using var op = cp.Operator();

        var created = await JsonOf(await op.PostAsJsonAsync($"/admin/v1/tenants/{id}/projects", new { name = "data", dollarsPerPeriod = 200, period = "week" }), HttpStatusCode.Created);
        var projectId = created.GetProperty("id").GetString()!;
        await JsonOf(await op.PatchAsJsonAsync($"/admin/v1/tenants/{id}/projects/{projectId}", new { tokensPerPeriod = 9_000 }), HttpStatusCode.OK);

        var read = await JsonOf(await op.GetAsync($"/admin/v1/tenants/{id}/projects/{projectId}"), HttpStatusCode.OK);
        Assert.Equal((200m, 9_000L, "week"), (read.GetProperty("dollarsPerPeriod").GetDecimal(), read.GetProperty("tokensPerPeriod").GetInt64(), read.GetProperty("period").GetString()));
    }

    public static TheoryData<string, string> BadBudgets => new()
    {
        { "POST", """{"name":"x","period":"year"}""" },
        { "POST", """{"name":"x","dollarsPerPeriod":0}""" },
        { "POST", """{"name":"x","dollarsPerPeriod":-5}""" },
        { "POST", """{"name":"x","dollarsPerPeriod":0.0000001}""" },
        { "POST", """{"name":"x","dollarsPerPeriod":10000001}""" },
        { "POST", """{"name":"x","tokensPerPeriod":0}""" },
        { "POST", """{"name":"x","tokensPerPeriod":10000000000001}""" },
        { "POST", """{"name":"x","alertThresholds":[0]}""" },
        { "POST", """{"name":"x","alertThresholds":[101]}""" },
        { "POST", """{"name":"x","alertThresholds":[80,80]}""" },
        { "PATCH", """{"dollarsPerPeriod":-1}""" },
        { "PATCH", """{"tokensPerPeriod":-1}""" },
        { "PATCH", """{"period":"fortnight"}""" },
        { "PATCH", """{"alertThresholds":[1,2,3,4,5,6,7,8,9,10,11]}""" },
    };

    [Theory]
    [MemberData(nameof(BadBudgets))]
    public async Task A_malformed_period_budget_is_refused_400_naming_the_field(string method, string body)
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(Admin(id));
        var projectId = (await JsonOf(await client.PostAsJsonAsync("/v1/projects", new { name = "target" }), HttpStatusCode.Created)).GetProperty("id").GetString();

        using var request = new HttpRequestMessage(new HttpMethod(method), method == "POST" ? "/v1/projects" : $"/v1/projects/{projectId}")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        var detail = await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.BadRequest);

        Assert.Matches("period|dollarsPerPeriod|tokensPerPeriod|alertThresholds", detail);
    }

    [Fact]
    public async Task Another_tenants_project_budgets_cannot_be_set_or_read_and_stay_as_they_were()
    {
        var (owner, intruder) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        using var ownerClient = cp.Client(Admin(owner));
        var projectId = (await JsonOf(await ownerClient.PostAsJsonAsync("/v1/projects", new { name = "finance", dollarsPerPeriod = 5m }), HttpStatusCode.Created))
            .GetProperty("id").GetString()!;
        using var client = cp.Client(Admin(intruder));
        using var op = cp.Operator();

        await ProblemAssert.IsProblemAsync(await client.PatchAsJsonAsync($"/v1/projects/{projectId}",
            new { dollarsPerPeriod = 1_000_000m, tokensPerPeriod = 0, period = "month", alertThresholds = Array.Empty<int>() }), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await op.PatchAsJsonAsync($"/admin/v1/tenants/{intruder}/projects/{projectId}", new { dollarsPerPeriod = 1_000_000m }),
            HttpStatusCode.NotFound);

        var unchanged = await JsonOf(await ownerClient.GetAsync($"/v1/projects/{projectId}"), HttpStatusCode.OK);
        Assert.Equal((5m, "month", "[80,100]"), (unchanged.GetProperty("dollarsPerPeriod").GetDecimal(), unchanged.GetProperty("period").GetString(),
            unchanged.GetProperty("alertThresholds").GetRawText()));
    }

    [Fact]
    public async Task A_key_of_a_budgeted_project_with_its_own_dollar_budget_resolves_with_both_in_micro_dollars()
    {
        var id = await cp.CreateTenantAsync();
        using var op = cp.Operator();
        var projectId = (await JsonOf(await op.PostAsJsonAsync($"/admin/v1/tenants/{id}/projects",
            new { name = "marketing", tokensPerPeriod = 70_000, dollarsPerPeriod = 10.25m, period = "day", alertThresholds = new[] { 90 } }), HttpStatusCode.Created))
            .GetProperty("id").GetString()!;
        var created = await JsonOf(await op.PostAsJsonAsync($"/admin/v1/tenants/{id}/keys",
            new { name = "bot", projectId, dollarBudget = 2.5m, dollarBudgetPeriod = "week" }), HttpStatusCode.Created);
        Assert.Equal((2.5m, "week"), (created.GetProperty("dollarBudget").GetDecimal(), created.GetProperty("dollarBudgetPeriod").GetString()));

        var resolved = await cp.ResolveKeyAsync(created.GetProperty("key").GetString()!);

        var budgets = resolved!.Budgets!;
        Assert.Equal((70_000L, 10_250_000L, BudgetPeriod.Day), (budgets.ProjectTokens, budgets.ProjectMicrodollars, budgets.ProjectPeriod));
        Assert.Equal([90], budgets.ProjectAlertThresholds!);
        Assert.Equal((2_500_000L, BudgetPeriod.Week), (budgets.KeyMicrodollars, budgets.KeyPeriod));
        var (_, plain) = await cp.CreateKeyAsync(id);
        Assert.Null((await cp.ResolveKeyAsync(plain))!.Budgets);
    }

    [Fact]
    public async Task A_tenant_key_admin_gives_a_new_key_a_dollar_budget_of_a_month_by_default()
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(Admin(id));

        var created = await JsonOf(await client.PostAsJsonAsync("/v1/keys", new { name = "capped", capabilities = new[] { "inference" }, dollarBudget = 3m }), HttpStatusCode.Created);

        Assert.Equal("month", created.GetProperty("dollarBudgetPeriod").GetString());
        var resolved = await cp.ResolveKeyAsync(created.GetProperty("key").GetString()!);
        Assert.Equal((3_000_000L, BudgetPeriod.Month), (resolved!.Budgets!.KeyMicrodollars, resolved.Budgets.KeyPeriod));
    }

    [Fact]
    public async Task A_run_key_draws_on_the_dollar_budget_of_the_key_that_asked_for_its_sandbox_not_a_fresh_one()
    {
        var id = await cp.CreateTenantAsync();
        var (creatorId, _) = await cp.CreateKeyAsync(id, new { name = "orchestrator", dollarBudget = 1.5m, dollarBudgetPeriod = "day" });
        var broker = TestTenantContexts.Tenant(id, "pro", ["inference", "memory:read", "memory:write", "sandbox"]) with { Principal = $"key:{creatorId}" };
        using var client = cp.Client(broker);

        var response = await client.PostAsJsonAsync("/internal/v1/run-keys", new { runId = "sbx_budget", ttlSeconds = 600 });

        var runKey = (await JsonOf(response, HttpStatusCode.Created)).GetProperty("key").GetString()!;
        var budgets = (await cp.ResolveKeyAsync(runKey))!.Budgets!;
        Assert.Equal((1_500_000L, BudgetPeriod.Day, creatorId), (budgets.KeyMicrodollars, budgets.KeyPeriod, budgets.KeyBudgetOwner));
    }

    [Fact]
    public async Task A_key_admin_with_a_dollar_budget_makes_keys_sharing_it_and_cannot_mint_one_with_a_fresh_budget()
    {
        var id = await cp.CreateTenantAsync();
        var (adminId, _) = await cp.CreateKeyAsync(id, new { name = "team-admin", capabilities = new[] { "inference", "keys:admin" }, dollarBudget = 4m });
        var admin = Admin(id) with
        {
            Principal = $"key:{adminId}", Capabilities = ["inference", "keys:admin"],
            Budgets = new PeriodBudgets(KeyMicrodollars: 4_000_000, KeyPeriod: BudgetPeriod.Month),
        };
        using var client = cp.Client(admin);

        var fresh = await client.PostAsJsonAsync("/v1/keys", new { name = "escape", capabilities = new[] { "inference" }, dollarBudget = 1_000m });
        var shared = await JsonOf(await client.PostAsJsonAsync("/v1/keys", new { name = "worker", capabilities = new[] { "inference" } }), HttpStatusCode.Created);

        await ProblemAssert.IsProblemAsync(fresh, HttpStatusCode.Forbidden);
        var budgets = (await cp.ResolveKeyAsync(shared.GetProperty("key").GetString()!))!.Budgets!;
        Assert.Equal((4_000_000L, adminId), (budgets.KeyMicrodollars, budgets.KeyBudgetOwner));
    }

    [Theory]
    [InlineData("""{"name":"k","dollarBudget":0}""")]
    [InlineData("""{"name":"k","dollarBudget":-1}""")]
    [InlineData("""{"name":"k","dollarBudget":1.0000001}""")]
    [InlineData("""{"name":"k","dollarBudget":1,"dollarBudgetPeriod":"hour"}""")]
    [InlineData("""{"name":"k","dollarBudgetPeriod":"day"}""")]
    public async Task A_malformed_key_dollar_budget_is_refused_400_on_both_key_apis(string body)
    {
        var id = await cp.CreateTenantAsync();
        using var op = cp.Operator();
        using var client = cp.Client(Admin(id));

        foreach (var (http, path) in new[] { (op, $"/admin/v1/tenants/{id}/keys"), (client, "/v1/keys") })
        {
            var detail = await ProblemAssert.IsProblemAsync(
                await http.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
            Assert.Contains("dollarBudget", detail);
        }
    }
}
