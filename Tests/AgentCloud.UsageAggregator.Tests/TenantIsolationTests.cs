using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>Tenant A tries every parameter and path to see B's usage; the operator sees both.</summary>
[Collection(UsageCollection.Name)]
public sealed class TenantIsolationTests(UsageServers servers) : IAsyncLifetime
{
    private const string Period = "from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z";
    private UsageHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await UsageHost.StartAsync(servers);
        await _host.AddAsync(
            Events.Inference("tenant-a", "sim-small", input: 100, output: 10),
            Events.Inference("tenant-a", "sim-small", input: 200, output: 20),
            Events.Inference("tenant-b", "sim-large", input: 7_777, output: 777),
            Events.Sandbox("tenant-b", 42));
        await _host.WaitUntilDrainedAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private HttpClient A => _host.ClientAs(TestTenantContexts.Tenant("tenant-a"));

    [Fact]
    public async Task Tenant_sees_its_own_usage_grouped_by_model()
    {
        using var response = await A.GetAsync($"/v1/usage?{Period}&groupBy=model");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("tenant-a", body.GetProperty("tenantId").GetString());
        var row = Assert.Single(body.GetProperty("data").EnumerateArray());
        Assert.Equal("sim-small", row.GetProperty("model").GetString());
        Assert.Equal(2, row.GetProperty("events").GetInt64());
        Assert.Equal(300, row.GetProperty("inputTokens").GetInt64());
        Assert.Equal(2, body.GetProperty("total").GetProperty("events").GetInt64());
    }

    [Theory]
    [InlineData("to=0001-01-01")]
    [InlineData("from=0001-01-01&to=0001-01-02")]
    [InlineData("to=9999-12-31")]
    [InlineData("model=%00")]
    [InlineData("model=sim%00small")]
    public async Task Out_of_range_dates_and_control_characters_are_a_400_problem_not_a_500(string parameter)
    {
        using var response = await A.GetAsync($"/v1/usage?{parameter}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("tenantId=tenant-b")]
    [InlineData("tenantId=TENANT-B")]
    [InlineData("tenantId=tenant-a&tenantId=tenant-b")]
    public async Task Naming_another_tenant_is_not_found(string parameter)
    {
        using var response = await A.GetAsync($"/v1/usage?{Period}&{parameter}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("7777", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/usage/tenant-b")]
    [InlineData("/v1/usage/tenants/tenant-b")]
    [InlineData("/v1/tenants/tenant-b/usage")]
    [InlineData("/admin/v1/usage?tenantId=tenant-b")]
    [InlineData("/admin/v1/usage?tenantId=tenant-b&format=csv")]
    [InlineData("/admin/v1/usage/reconciliation?tenantId=tenant-b")]
    public async Task Other_paths_to_another_tenants_usage_are_not_found(string path)
    {
        using var response = await A.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("7777", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("model=sim-large")]
    [InlineData("tenant_id=tenant-b")]
    [InlineData("tenant=tenant-b")]
    [InlineData("groupBy=day&model=sim-large")]
    [InlineData("groupBy=none&tenantid=tenant-b")]
    [InlineData("tenantId=")]
    public async Task Filters_only_ever_narrow_the_callers_own_rows(string parameter)
    {
        using var response = await A.GetAsync($"/v1/usage?{Period}&{parameter}");

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"answered {response.StatusCode}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("7777", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"model\":\"sim-large\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"tenantId\":\"tenant-b\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Own_tenant_id_parameter_is_accepted()
    {
        using var response = await A.GetAsync($"/v1/usage?{Period}&tenantId=tenant-a");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Call_without_a_signed_context_is_refused()
    {
        using var response = await _host.CreateClient().GetAsync($"/v1/usage?{Period}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("from=yesterday")]
    [InlineData("to=2026-13-45")]
    [InlineData("from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z")]
    [InlineData("from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z")]
    [InlineData("from=0001-01-01&to=9999-12-31T23:59:59Z")]
    [InlineData("groupBy=tenant")]
    public async Task Bad_query_is_a_problem_not_an_error(string query)
    {
        using var response = await A.GetAsync($"/v1/usage?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("https://agentcloud.dev/problems/", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Operator_reads_any_tenants_usage_and_cost()
    {
        var op = _host.ClientAs(TestTenantContexts.Operator);

        var body = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/usage?tenantId=tenant-b&{Period}");

        var rows = body.GetProperty("data").EnumerateArray().ToList();
        Assert.All(rows, r => Assert.Equal("tenant-b", r.GetProperty("tenantId").GetString()));
        Assert.Equal(7_777, rows.Single(r => r.GetProperty("model").GetString() == "sim-large").GetProperty("inputTokens").GetInt64());
        Assert.Equal(42m, rows.Single(r => r.GetProperty("kind").GetString() == "sandbox").GetProperty("sandboxSeconds").GetDecimal());
        Assert.True(body.GetProperty("total").GetProperty("cost").GetDecimal() > 0);
    }

    [Theory]
    [InlineData("&format=csv", null)]
    [InlineData("", "text/csv")]
    public async Task Operator_exports_chargeback_csv(string format, string? accept)
    {
        var op = _host.ClientAs(TestTenantContexts.Operator);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/admin/v1/usage?{Period}{format}");
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await op.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("tenant_id,kind,resource,from,to,events", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("tenant-a,inference,sim-small,", StringComparison.Ordinal) && l.Contains(",2,300,0,30,330,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("tenant-b,sandbox,sandbox:bubblewrap,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Operator_reconciliation_reports_zero_drift()
    {
        var op = _host.ClientAs(TestTenantContexts.Operator);

        var report = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/usage/reconciliation?{Period}");

        Assert.Equal(4, report.GetProperty("rawEvents").GetInt64());
        Assert.Equal(4, report.GetProperty("rollupEvents").GetInt64());
        Assert.Equal(0, report.GetProperty("driftCount").GetInt32());
    }

    [Fact]
    public async Task Offboarded_tenants_usage_is_kept_for_billing_but_no_longer_readable_by_the_tenant()
    {
        await using var host = await UsageHost.StartAsync(servers);
        await host.AddAsync(Events.Inference("leaving", input: 5_000));
        await host.WaitUntilDrainedAsync();
        var tenant = host.ClientAs(TestTenantContexts.Tenant("leaving"));
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync($"/v1/usage?{Period}")).StatusCode);

        await host.Redis.Multiplexer.GetSubscriber().PublishAsync(
            StackExchange.Redis.RedisChannel.Literal(PlatformChannels.TenantOffboarded), "leaving");
        await LocalProcess.WaitUntilAsync(async () => (await tenant.GetAsync($"/v1/usage?{Period}")).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(10), "the offboarding to take effect");

        var op = host.ClientAs(TestTenantContexts.Operator);
        var billing = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/usage?tenantId=leaving&{Period}");
        Assert.Equal(5_000, billing.GetProperty("total").GetProperty("inputTokens").GetInt64());

        await host.AddAsync(Events.Inference("leaving"));
        await host.WaitUntilDrainedAsync();
        var dead = Assert.Single(await host.Redis.StreamRangeAsync(host.DeadLetterStream));
        Assert.Equal("unknown tenant 'leaving': offboarded", dead["reason"].ToString());
        Assert.Equal(1, await host.CountedEventsAsync());
    }
}
