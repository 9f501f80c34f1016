using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Tests.Shared;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>Tool calls (kind <c>tool</c>) are counted, priced (zero unless the price list names the tool) and shown beside tokens and sandbox-seconds.</summary>
[Collection(UsageCollection.Name)]
public sealed class ToolUsageTests(UsageServers servers) : IAsyncLifetime
{
    private const string Period = "from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z";
    private UsageHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await UsageHost.StartAsync(servers);
        // An operator price for one tool: a millionth of a dollar a second. Other tools have none, so cost nothing.
        await _host.ScalarAsync("""
            WITH p AS (INSERT INTO usage_prices (resource, effective_from, per_sandbox_second) VALUES ('tool:http.fetch', '2026-01-01T00:00:00Z', 0.000001) RETURNING 1)
            SELECT count(*) FROM p
            """);
        await _host.AddAsync(
            Events.Tool("tooling", "http.fetch", 2.5),
            Events.Tool("tooling", "http.fetch", 1.5),
            Events.Tool("tooling", "tickets.create", 0.25),
            Events.Inference("tooling", "sim-small", input: 100, output: 10),
            Events.Sandbox("tooling", 10));
        await _host.WaitUntilDrainedAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_usage_api_shows_tool_calls_and_seconds_beside_tokens_and_sandbox_seconds()
    {
        var body = await _host.ClientAs(TestTenantContexts.Tenant("tooling")).GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=model");

        var rows = body.GetProperty("data").EnumerateArray().ToDictionary(r => r.GetProperty("model").GetString()!);
        Assert.Equal(["sandbox:bubblewrap", "sim-small", "tool:http.fetch", "tool:tickets.create"], rows.Keys.Order());
        var fetch = rows["tool:http.fetch"];
        Assert.Equal(("tool", 2L, 2L, 4.0m, 0m), (fetch.GetProperty("kind").GetString(), fetch.GetProperty("events").GetInt64(),
            fetch.GetProperty("toolCalls").GetInt64(), fetch.GetProperty("toolSeconds").GetDecimal(), fetch.GetProperty("sandboxSeconds").GetDecimal()));
        Assert.Equal(0.000004m, fetch.GetProperty("cost").GetDecimal());
        Assert.Equal(0m, rows["tool:tickets.create"].GetProperty("cost").GetDecimal());
        Assert.Equal(100, rows["sim-small"].GetProperty("inputTokens").GetInt64());
        // Totals keep them apart: sandbox-seconds are the sandbox's alone.
        var total = body.GetProperty("total");
        Assert.Equal((10m, 3L, 4.25m), (total.GetProperty("sandboxSeconds").GetDecimal(), total.GetProperty("toolCalls").GetInt64(), total.GetProperty("toolSeconds").GetDecimal()));
    }

    [Fact]
    public async Task Usage_by_day_never_counts_a_tools_seconds_as_sandbox_seconds()
    {
        var body = await _host.ClientAs(TestTenantContexts.Tenant("tooling")).GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=day");

        var day = Assert.Single(body.GetProperty("data").EnumerateArray());
        Assert.Equal((10m, 3L, 4.25m), (day.GetProperty("sandboxSeconds").GetDecimal(), day.GetProperty("toolCalls").GetInt64(), day.GetProperty("toolSeconds").GetDecimal()));
    }

    [Fact]
    public async Task The_chargeback_csv_has_a_line_per_tool()
    {
        using var response = await _host.ClientAs(TestTenantContexts.Operator).GetAsync($"/admin/v1/usage?{Period}&format=csv&tenantId=tooling");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var fetch = Assert.Single(lines, l => l.StartsWith("tooling,tool,tool:http.fetch,", StringComparison.Ordinal)).Split(',');
        Assert.Equal("2", fetch[5]);
        Assert.Equal((0m, 0.000004m, 2L, 4m), (decimal.Parse(fetch[10], CultureInfo.InvariantCulture), decimal.Parse(fetch[11], CultureInfo.InvariantCulture),
            long.Parse(fetch[12], CultureInfo.InvariantCulture), decimal.Parse(fetch[13], CultureInfo.InvariantCulture)));
        Assert.Contains(lines, l => l.StartsWith("tooling,tool,tool:tickets.create,", StringComparison.Ordinal));
    }
}
