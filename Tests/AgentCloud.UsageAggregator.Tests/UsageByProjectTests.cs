using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using AgentCloud.UsageAggregator.Apis;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>
/// Usage per project: one row per project and one (projectId null) for keys of no project, sums that agree with the
/// other views, a project filter that only ever narrows the caller's own tenant, chargeback and reconciliation per project.
/// </summary>
[Collection(UsageCollection.Name)]
public sealed class UsageByProjectTests(UsageServers servers) : IAsyncLifetime
{
    private const string Period = "from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z";
    private const string Marketing = "prj_0a1b2c3d4e5f6a7b";
    private const string Data = "prj_9f8e7d6c5b4a3f2e";
    private const string OtherTenantsProject = "prj_b0b0b0b0b0b0b0b0";
    private const string MarketingKey = "key_1111aaaa2222bbbb";
    private const string DataKey = "key_3333cccc4444dddd";
    private const string PlainKey = "key_5555eeee6666ffff";
    private UsageHost _host = null!;

    private static UsageEvent Of(UsageEvent e, string key, string? project) => e with { Principal = "key:" + key, ProjectId = project };

    public async Task InitializeAsync()
    {
        _host = await UsageHost.StartAsync(servers);
        await _host.AddAsync(
            Of(Events.Inference("tenant-a", "sim-small", input: 100, output: 10), MarketingKey, Marketing),
            Of(Events.Inference("tenant-a", "sim-large", input: 2_000, output: 200, at: Events.Noon.AddMinutes(3)), MarketingKey, Marketing),
            Of(Events.Tool("tenant-a", "tickets.create", 0.75), MarketingKey, Marketing),
            Of(Events.Inference("tenant-a", "sim-small", input: 300, output: 30), DataKey, Data),
            Of(Events.Sandbox("tenant-a", 12.5), DataKey, Data),
            Of(Events.Inference("tenant-a", "sim-small", input: 50, output: 5), PlainKey, null),
            Of(Events.Inference("tenant-b", "sim-large", input: 7_777, output: 777), "key_b0b0b0b0b0b0b0b0", OtherTenantsProject));
        await _host.WaitUntilDrainedAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private HttpClient A => _host.ClientAs(TestTenantContexts.Tenant("tenant-a"));

    private HttpClient B => _host.ClientAs(TestTenantContexts.Tenant("tenant-b"));

    private HttpClient Operator => _host.ClientAs(TestTenantContexts.Operator);

    private static readonly string[] Columns =
        ["events", "inputTokens", "cachedInputTokens", "outputTokens", "weightedTokens", "sandboxSeconds", "cost", "toolCalls", "toolSeconds"];

    private static Dictionary<string, decimal> Sum(IEnumerable<JsonElement> rows) =>
        Columns.ToDictionary(c => c, c => rows.Sum(r => r.GetProperty(c).GetDecimal()));

    private static string? ProjectOf(JsonElement row) => row.GetProperty("projectId").GetString();

    private static List<JsonElement> Rows(JsonElement body) => [.. body.GetProperty("data").EnumerateArray()];

    [Fact]
    public async Task Grouping_by_project_gives_one_row_per_project_and_one_for_keys_of_no_project()
    {
        var byProject = await A.GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=project");
        var byModel = await A.GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=model");

        Assert.Equal("project", byProject.GetProperty("groupBy").GetString());
        var rows = Rows(byProject);
        Assert.Equal(new[] { null, Marketing, Data }, rows.Select(ProjectOf).Order(StringComparer.Ordinal));
        Assert.Equal(Sum(Rows(byModel)), Sum(rows));
        Assert.Equal(Sum(Rows(byModel)), Sum([byProject.GetProperty("total")]));

        var marketing = rows.Single(r => ProjectOf(r) == Marketing);
        Assert.Equal((3, 2_100, 1, 0.75m), (marketing.GetProperty("events").GetInt64(), marketing.GetProperty("inputTokens").GetInt64(),
            marketing.GetProperty("toolCalls").GetInt64(), marketing.GetProperty("toolSeconds").GetDecimal()));
        var data = rows.Single(r => ProjectOf(r) == Data);
        Assert.Equal((300, 12.5m), (data.GetProperty("inputTokens").GetInt64(), data.GetProperty("sandboxSeconds").GetDecimal()));
        var none = rows.Single(r => ProjectOf(r) is null);
        Assert.Equal((1, 50), (none.GetProperty("events").GetInt64(), none.GetProperty("inputTokens").GetInt64()));
    }

    [Fact]
    public async Task Grouping_by_key_names_each_keys_project()
    {
        var rows = Rows(await A.GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=key"));

        var projects = rows.ToDictionary(r => r.GetProperty("key").GetString()!, ProjectOf);
        Assert.Equal(new Dictionary<string, string?> { [MarketingKey] = Marketing, [DataKey] = Data, [PlainKey] = null }, projects);
    }

    [Theory]
    [InlineData(Marketing, "model", 3)]
    [InlineData(Data, "model", 2)]
    [InlineData("none", "model", 1)]
    [InlineData(Marketing, "key", 1)]
    [InlineData(Data, "none", 1)]
    public async Task The_project_filter_narrows_any_grouping_to_that_projects_usage(string projectId, string groupBy, int expectedRows)
    {
        var filtered = await A.GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy={groupBy}&projectId={projectId}");
        var byProject = Rows(await A.GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=project"));

        Assert.Equal(expectedRows, Rows(filtered).Count);
        var expected = byProject.Single(r => ProjectOf(r) == (projectId == "none" ? null : projectId));
        Assert.Equal(Sum([expected]), Sum(Rows(filtered)));
    }

    [Fact]
    public async Task An_unknown_project_yields_no_rows_not_a_404()
    {
        using var response = await A.GetAsync($"/v1/usage?{Period}&groupBy=project&projectId=prj_ffffffffffffffff");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Empty(Rows(body));
        Assert.Equal(0, body.GetProperty("total").GetProperty("events").GetInt64());
    }

    [Theory]
    [InlineData("/v1/usage", "key_0a1b2c3d")]
    [InlineData("/v1/usage", "prj_")]
    [InlineData("/v1/usage", "prj_abc%0A")]
    [InlineData("/v1/usage", "prj_abc'%20OR%20'1'='1")]
    [InlineData("/v1/usage", "NONE")]
    [InlineData("/admin/v1/usage", "prj_0123456789012345678901234567890123456789012345678901234567890")]
    [InlineData("/admin/v1/usage", "prj_abc%00")]
    public async Task A_project_id_of_the_wrong_shape_is_a_400_problem_saying_what_one_looks_like(string path, string projectId)
    {
        var client = path.StartsWith("/admin", StringComparison.Ordinal) ? Operator : A;

        using var response = await client.GetAsync($"{path}?{Period}&projectId={projectId}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("https://agentcloud.dev/problems/", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains("prj_", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("groupBy=project")]
    [InlineData("groupBy=key")]
    [InlineData("groupBy=model&projectId=" + Marketing)]
    [InlineData("groupBy=project&projectId=" + Marketing)]
    [InlineData("groupBy=project&projectId=" + Data + "&model=sim-small")]
    [InlineData("groupBy=none&projectId=none")]
    public async Task Another_tenant_sees_nothing_of_a_tenants_projects_even_naming_them(string parameters)
    {
        using var response = await B.GetAsync($"/v1/usage?{Period}&{parameters}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(Marketing, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Data, text, StringComparison.Ordinal);
        Assert.DoesNotContain("tenant-a", text, StringComparison.Ordinal);
        var rows = Rows(JsonDocument.Parse(text).RootElement);
        // Tenant B's only usage is 7,777 input tokens of its own project: anything else would be tenant A's.
        Assert.All(rows, r => Assert.Equal(7_777, r.GetProperty("inputTokens").GetInt64()));
        if (parameters.Contains("projectId", StringComparison.Ordinal))
        {
            Assert.Empty(rows);
        }
    }

    [Theory]
    [InlineData("tenantId=tenant-a&groupBy=project")]
    [InlineData("tenantId=tenant-a&groupBy=project&projectId=" + Marketing)]
    public async Task Naming_another_tenant_with_a_project_is_not_found(string parameters)
    {
        using var response = await B.GetAsync($"/v1/usage?{Period}&{parameters}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(Marketing, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/admin/v1/usage?groupBy=project&tenantId=tenant-a")]
    [InlineData("/admin/v1/usage?groupBy=key&projectId=" + Marketing + "&format=csv")]
    [InlineData("/admin/v1/usage/reconciliation?tenantId=tenant-a")]
    public async Task A_tenant_asking_the_operators_chargeback_or_reconciliation_by_project_is_not_found(string pathAndQuery)
    {
        using var response = await B.GetAsync($"{pathAndQuery}&{Period}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(Marketing, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("groupBy=project", 1)]
    [InlineData("groupBy=key", 1)]
    [InlineData("groupBy=model", 3)]
    [InlineData("groupBy=project&projectId=" + Marketing, 1)]
    [InlineData("groupBy=project&projectId=" + Data, 0)]
    [InlineData("groupBy=project&projectId=none", 0)]
    public async Task A_key_of_a_project_reads_its_own_projects_usage_only(string parameters, int expectedRows)
    {
        var marketingKey = _host.ClientAs(TestTenantContexts.Tenant("tenant-a") with { Principal = "key:" + MarketingKey, ProjectId = Marketing });

        var body = await marketingKey.GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&{parameters}");

        var rows = Rows(body);
        Assert.Equal(expectedRows, rows.Count);
        Assert.Equal(expectedRows == 0 ? 0 : 2_100, rows.Sum(r => r.GetProperty("inputTokens").GetInt64()));
        Assert.DoesNotContain(Data, body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operator_chargeback_by_project_splits_each_tenants_lines_per_project()
    {
        var byProject = await Operator.GetFromJsonAsync<JsonElement>($"/admin/v1/usage?{Period}&groupBy=project");
        var byModel = await Operator.GetFromJsonAsync<JsonElement>($"/admin/v1/usage?{Period}");

        Assert.Equal("project", byProject.GetProperty("groupBy").GetString());
        var rows = Rows(byProject);
        Assert.Equal(Sum(Rows(byModel)), Sum(rows));
        Assert.Equal(OtherTenantsProject, ProjectOf(Assert.Single(rows, r => r.GetProperty("tenantId").GetString() == "tenant-b")));
        Assert.Equal(2, rows.Count(r => ProjectOf(r) == Marketing && r.GetProperty("kind").GetString() == "inference"));
        Assert.All(rows, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("key").ValueKind));
    }

    [Fact]
    public async Task Chargeback_csv_fills_project_and_key_columns_and_the_project_filter_narrows_it()
    {
        var byKey = (await Operator.GetStringAsync($"/admin/v1/usage?tenantId=tenant-a&{Period}&groupBy=key&format=csv"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var oneProject = (await Operator.GetStringAsync($"/admin/v1/usage?{Period}&groupBy=project&projectId={Data}&format=csv"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(ChargebackCsv.Header, byKey[0]);
        Assert.EndsWith(",tool_seconds,project_id,key", byKey[0], StringComparison.Ordinal);
        Assert.Contains(byKey, l => l.StartsWith("tenant-a,sandbox,sandbox:bubblewrap,", StringComparison.Ordinal) && l.EndsWith($",{Data},{DataKey}", StringComparison.Ordinal));
        Assert.Contains(byKey, l => l.StartsWith("tenant-a,inference,sim-small,", StringComparison.Ordinal) && l.EndsWith($",,{PlainKey}", StringComparison.Ordinal));
        Assert.DoesNotContain(byKey, l => l.StartsWith("tenant-b", StringComparison.Ordinal));

        Assert.Equal(3, oneProject.Length);
        Assert.All(oneProject.Skip(1), l => Assert.EndsWith($",{Data},", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reconciliation_finds_usage_moved_between_projects_though_every_key_and_model_total_still_agrees()
    {
        await using var host = await UsageHost.StartAsync(servers);
        await host.AddAsync(
            Of(Events.Inference("acme", input: 100, output: 10), MarketingKey, Marketing),
            Of(Events.Inference("acme", input: 300, output: 30), PlainKey, null));
        await host.WaitUntilDrainedAsync();
        var op = host.ClientAs(TestTenantContexts.Operator);
        Assert.Equal(0, (await op.GetFromJsonAsync<JsonElement>($"/admin/v1/usage/reconciliation?{Period}")).GetProperty("driftCount").GetInt32());

        await host.ScalarAsync($"UPDATE usage_rollups SET project_id = '' WHERE project_id = '{Marketing}'");
        var tampered = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/usage/reconciliation?{Period}");

        var drift = tampered.GetProperty("drift").EnumerateArray().ToList();
        Assert.Equal(2, drift.Count);
        Assert.All(drift, d => Assert.Equal("key:" + MarketingKey, d.GetProperty("principal").GetString()));
        var lost = drift.Single(d => d.GetProperty("projectId").GetString() == Marketing);
        Assert.Equal((1, 0), (lost.GetProperty("rawEvents").GetInt64(), lost.GetProperty("rollupEvents").GetInt64()));
        var gained = drift.Single(d => d.GetProperty("projectId").ValueKind == JsonValueKind.Null);
        Assert.Equal((0, 1), (gained.GetProperty("rawEvents").GetInt64(), gained.GetProperty("rollupEvents").GetInt64()));
    }
}
