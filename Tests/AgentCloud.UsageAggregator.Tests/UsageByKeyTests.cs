using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using AgentCloud.UsageAggregator.Apis;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>Usage per key: the tenant's own keys only, sums that agree with the per-model view, counted once, reconciled.</summary>
[Collection(UsageCollection.Name)]
public sealed class UsageByKeyTests(UsageServers servers) : IAsyncLifetime
{
    private const string Period = "from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z";
    private const string MarketingKey = "key_0a1b2c3d4e5f6a7b";
    private const string DataKey = "key_9f8e7d6c5b4a3f2e";
    private const string OtherTenantsKey = "key_b0b0b0b0b0b0b0b0";
    private UsageHost _host = null!;

    private static UsageEvent As(UsageEvent e, string principal) => e with { Principal = principal };

    public async Task InitializeAsync()
    {
        _host = await UsageHost.StartAsync(servers);
        await _host.AddAsync(
            As(Events.Inference("tenant-a", "sim-small", input: 100, cached: 10, output: 10), "key:" + MarketingKey),
            As(Events.Inference("tenant-a", "sim-large", input: 2_000, output: 200, at: Events.Noon.AddMinutes(3)), "key:" + MarketingKey),
            As(Events.Inference("tenant-a", "sim-small", input: 300, output: 30), "key:" + DataKey),
            As(Events.Inference("tenant-a", "sim-large", input: 4_000, output: 400, at: Events.Noon.AddHours(2)), "key:" + DataKey),
            As(Events.Sandbox("tenant-a", 12.5), "key:" + DataKey),
            As(Events.Tool("tenant-a", "tickets.create", 0.75), "key:" + MarketingKey),
            As(Events.Inference("tenant-a", "sim-small", input: 50, output: 5), "operator"),
            As(Events.Inference("tenant-b", "sim-large", input: 7_777, output: 777), "key:" + OtherTenantsKey));
        await _host.WaitUntilDrainedAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private HttpClient A => _host.ClientAs(TestTenantContexts.Tenant("tenant-a"));

    private HttpClient Operator => _host.ClientAs(TestTenantContexts.Operator);

    private static readonly string[] Columns =
        ["events", "inputTokens", "cachedInputTokens", "outputTokens", "weightedTokens", "sandboxSeconds", "cost", "toolCalls", "toolSeconds"];

    private static Dictionary<string, decimal> Sum(IEnumerable<JsonElement> rows) =>
        Columns.ToDictionary(c => c, c => rows.Sum(r => r.GetProperty(c).GetDecimal()));

    [Fact]
    public async Task Grouping_by_key_gives_one_row_per_key_whose_sums_equal_the_per_model_totals()
    {
        var byKey = await A.GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=key");
        var byModel = await A.GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=model");

        Assert.Equal("key", byKey.GetProperty("groupBy").GetString());
        var rows = byKey.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(new[] { MarketingKey, DataKey, "operator" }, rows.Select(r => r.GetProperty("key").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(Sum(byModel.GetProperty("data").EnumerateArray()), Sum(rows));
        Assert.Equal(Sum(byModel.GetProperty("data").EnumerateArray()), Sum([byKey.GetProperty("total")]));

        var marketing = rows.Single(r => r.GetProperty("key").GetString() == MarketingKey);
        Assert.Equal(3, marketing.GetProperty("events").GetInt64());
        Assert.Equal(2_100, marketing.GetProperty("inputTokens").GetInt64());
        Assert.Equal(10, marketing.GetProperty("cachedInputTokens").GetInt64());
        Assert.Equal(1, marketing.GetProperty("toolCalls").GetInt64());
        Assert.Equal(0.75m, marketing.GetProperty("toolSeconds").GetDecimal());
        Assert.Equal(0m, marketing.GetProperty("sandboxSeconds").GetDecimal());
        var data = rows.Single(r => r.GetProperty("key").GetString() == DataKey);
        Assert.Equal(4_300, data.GetProperty("inputTokens").GetInt64());
        Assert.Equal(12.5m, data.GetProperty("sandboxSeconds").GetDecimal());
        Assert.True(data.GetProperty("cost").GetDecimal() > marketing.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task Grouping_by_key_combines_with_the_model_filter()
    {
        var body = await A.GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=key&model=sim-large");
        var modelRow = (await A.GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=model&model=sim-large")).GetProperty("data")[0];

        var rows = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(new[] { MarketingKey, DataKey }, rows.Select(r => r.GetProperty("key").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(2_000, rows.Single(r => r.GetProperty("key").GetString() == MarketingKey).GetProperty("inputTokens").GetInt64());
        Assert.Equal(4_000, rows.Single(r => r.GetProperty("key").GetString() == DataKey).GetProperty("inputTokens").GetInt64());
        Assert.Equal(Sum([modelRow]), Sum(rows));
    }

    [Theory]
    [InlineData("groupBy=key")]
    [InlineData("groupBy=key&model=sim-large")]
    [InlineData("groupBy=KEY&tenant=tenant-b")]
    public async Task A_tenant_never_sees_another_tenants_keys(string parameters)
    {
        using var response = await A.GetAsync($"/v1/usage?{Period}&{parameters}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(OtherTenantsKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("7777", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tenantId=tenant-b&groupBy=key")]
    [InlineData("groupBy=key&tenantId=TENANT-B")]
    [InlineData("groupBy=key&tenantId=tenant-a&tenantId=tenant-b")]
    public async Task Naming_another_tenant_with_group_by_key_is_not_found(string parameters)
    {
        using var response = await A.GetAsync($"/v1/usage?{Period}&{parameters}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(OtherTenantsKey, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/usage", "groupBy=projects", "model, day, key, project or none")]
    [InlineData("/v1/usage", "groupBy=principal", "model, day, key, project or none")]
    [InlineData("/admin/v1/usage", "groupBy=day", "model, project or key")]
    [InlineData("/admin/v1/usage", "groupBy=key%00&format=csv", "model, project or key")]
    public async Task Unknown_grouping_is_a_400_problem_listing_the_allowed_ones(string path, string parameters, string allowed)
    {
        var client = path.StartsWith("/admin", StringComparison.Ordinal) ? Operator : A;

        using var response = await client.GetAsync($"{path}?{Period}&{parameters}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("https://agentcloud.dev/problems/", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains(allowed, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operator_chargeback_by_key_splits_each_tenants_lines_per_key()
    {
        var byKey = await Operator.GetFromJsonAsync<JsonElement>($"/admin/v1/usage?{Period}&groupBy=key");
        var byModel = await Operator.GetFromJsonAsync<JsonElement>($"/admin/v1/usage?{Period}");

        Assert.Equal("key", byKey.GetProperty("groupBy").GetString());
        var rows = byKey.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(Sum(byModel.GetProperty("data").EnumerateArray()), Sum(rows));
        var other = Assert.Single(rows, r => r.GetProperty("tenantId").GetString() == "tenant-b");
        Assert.Equal(OtherTenantsKey, other.GetProperty("key").GetString());
        Assert.Equal(2, rows.Count(r => r.GetProperty("key").GetString() == MarketingKey && r.GetProperty("kind").GetString() == "inference"));
    }

    [Fact]
    public async Task Chargeback_csv_by_key_fills_the_key_column_and_the_default_csv_leaves_it_empty()
    {
        var byKey = (await Operator.GetStringAsync($"/admin/v1/usage?{Period}&groupBy=key&format=csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var plain = (await Operator.GetStringAsync($"/admin/v1/usage?{Period}&format=csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(ChargebackCsv.Header, byKey[0]);
        Assert.Contains(byKey, l => l.StartsWith("tenant-a,sandbox,sandbox:bubblewrap,", StringComparison.Ordinal) && l.EndsWith($",,{DataKey}", StringComparison.Ordinal));
        Assert.Contains(byKey, l => l.StartsWith("tenant-b,inference,sim-large,", StringComparison.Ordinal) && l.Contains(",1,7777,0,777,", StringComparison.Ordinal)
            && l.EndsWith($",,{OtherTenantsKey}", StringComparison.Ordinal));
        Assert.Equal(ChargebackCsv.Header, plain[0]);
        Assert.DoesNotContain(plain, l => l.Contains(MarketingKey, StringComparison.Ordinal));
        Assert.Contains(plain, l => l.StartsWith("tenant-a,inference,sim-small,", StringComparison.Ordinal) && l.Contains(",3,450,10,45,", StringComparison.Ordinal)
            && l.EndsWith(",,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redelivered_events_are_counted_once_for_their_key_even_under_another_principal()
    {
        await using var host = await UsageHost.StartAsync(servers);
        var first = As(Events.Inference("acme", input: 1_000, output: 100), "key:" + MarketingKey);
        await host.AddAsync(first, first);
        await host.WaitUntilDrainedAsync();
        // The same event id again, once as it was and once claiming another key: the ledger counted it already.
        await host.AddAsync(first, first with { Principal = "key:" + DataKey });
        await host.WaitUntilDrainedAsync();

        var body = await host.ClientAs(TestTenantContexts.Tenant("acme")).GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=key");

        var row = Assert.Single(body.GetProperty("data").EnumerateArray());
        Assert.Equal(MarketingKey, row.GetProperty("key").GetString());
        Assert.Equal(1, row.GetProperty("events").GetInt64());
        Assert.Equal(1_000, row.GetProperty("inputTokens").GetInt64());
        Assert.Empty((await host.ReconcileAsync()).Drift);
    }

    [Fact]
    public async Task An_event_whose_model_and_principal_are_too_long_together_for_the_rollup_index_is_dead_lettered_not_stuck()
    {
        await using var host = await UsageHost.StartAsync(servers, runWorker: false);
        // Each within the 512-character limit, but random CJK (3 bytes each, incompressible) is over 2.7 kB together.
        var random = new Random(7);
        string Cjk() => new([.. Enumerable.Range(0, 512).Select(_ => (char)random.Next(0x4E00, 0x9FFF))]);
        var huge = Events.Inference("acme", model: Cjk()) with { Principal = "key:" + Cjk()[..500] };
        var good = As(Events.Inference("acme", input: 42), "key:" + MarketingKey);
        await host.AddAsync(huge, good);

        var consumer = await host.ConsumerAsync("one");
        Assert.Equal(2, await consumer.ProcessNextAsync(CancellationToken.None));

        Assert.Equal(1, await host.CountedEventsAsync());
        var dead = Assert.Single(await host.Redis.StreamRangeAsync(host.DeadLetterStream));
        Assert.StartsWith("refused by the ledger", dead["reason"].ToString(), StringComparison.Ordinal);
        Assert.Empty((await host.ReconcileAsync()).Drift);
    }

    [Fact]
    public async Task Reconciliation_finds_no_drift_then_finds_a_tampered_per_key_row()
    {
        await using var host = await UsageHost.StartAsync(servers);
        await host.AddAsync(
            As(Events.Inference("acme", input: 100, output: 10), "key:" + MarketingKey),
            As(Events.Inference("acme", input: 300, output: 30), "key:" + DataKey));
        await host.WaitUntilDrainedAsync();
        var op = host.ClientAs(TestTenantContexts.Operator);
        var clean = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/usage/reconciliation?{Period}");
        Assert.Equal(0, clean.GetProperty("driftCount").GetInt32());
        Assert.Equal(2, clean.GetProperty("buckets").GetInt64());

        // Usage moved from one key to the other: every per-model total still matches, only the per-key rows are wrong.
        await host.ScalarAsync($"""
            UPDATE usage_rollups SET input_tokens = input_tokens + CASE principal WHEN 'key:{MarketingKey}' THEN 50 ELSE -50 END
            """);
        var tampered = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/usage/reconciliation?{Period}");

        Assert.Equal(2, tampered.GetProperty("driftCount").GetInt32());
        var drift = tampered.GetProperty("drift").EnumerateArray().ToList();
        Assert.Equal(new[] { "key:" + MarketingKey, "key:" + DataKey }, drift.Select(d => d.GetProperty("principal").GetString()).Order(StringComparer.Ordinal));
        var marketing = drift.Single(d => d.GetProperty("principal").GetString() == "key:" + MarketingKey);
        Assert.Equal(marketing.GetProperty("rawTokens").GetInt64() + 50, marketing.GetProperty("rollupTokens").GetInt64());
    }
}
