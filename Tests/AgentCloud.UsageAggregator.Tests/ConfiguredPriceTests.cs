using AgentCloud.Platform.Pricing;
using System.ComponentModel.DataAnnotations;
using AgentCloud.UsageAggregator.Extensions;
using Npgsql;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>Model prices come from configuration; a changed price applies from then on and never rewrites history.</summary>
[Collection(UsageCollection.Name)]
public sealed class ConfiguredPriceTests(UsageServers servers)
{
    // After the fixture's simulator prices (indexes 0 and 1), so none of their fields carry over.
    private static Dictionary<string, string> Price(string model, string input, string cached, string output) => new()
    {
        ["UsageAggregator:Prices:Models:2:Model"] = model,
        ["UsageAggregator:Prices:Models:2:InputPerMillion"] = input,
        ["UsageAggregator:Prices:Models:2:CachedInputPerMillion"] = cached,
        ["UsageAggregator:Prices:Models:2:OutputPerMillion"] = output,
    };

    private static async Task<List<(DateTime From, decimal Input, decimal Cached, decimal Output)>> RowsAsync(string database, string model)
    {
        await using var conn = new NpgsqlConnection(database);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT effective_from, input_per_million, cached_input_per_million, output_per_million FROM usage_prices WHERE resource = @m ORDER BY effective_from", conn);
        cmd.Parameters.AddWithValue("m", model);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(DateTime, decimal, decimal, decimal)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetDateTime(0), reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3)));
        }
        return rows;
    }

    [Fact]
    public async Task A_configured_price_is_loaded_once_and_a_changed_one_takes_effect_forward_keeping_the_old_row()
    {
        string database;
        await using (var first = await UsageHost.StartAsync(servers, settings: Price("gpt-4o", "2.50", "1.25", "10")))
        {
            database = first.DatabaseConnectionString;
        }
        await using (var again = await UsageHost.StartAsync(servers, settings: Price("gpt-4o", "2.50", "1.25", "10"), database: database))
        {
        }
        var unchanged = await RowsAsync(database, "gpt-4o");
        await using (var changed = await UsageHost.StartAsync(servers, settings: Price("gpt-4o", "2.00", "1.00", "8"), database: database))
        {
        }
        var rows = await RowsAsync(database, "gpt-4o");

        var only = Assert.Single(unchanged);
        Assert.Equal((2.50m, 1.25m, 10m), (only.Input, only.Cached, only.Output));
        Assert.Equal(2, rows.Count);
        Assert.Equal(only, rows[0]);
        Assert.Equal((2.00m, 1.00m, 8m), (rows[1].Input, rows[1].Cached, rows[1].Output));
        Assert.True(rows[1].From > rows[0].From);
        Assert.NotEmpty(await RowsAsync(database, "sim-small")); // the fixture's configured simulator prices, dated as configured
    }

    [Fact]
    public void A_negative_or_repeated_price_is_refused_at_start_saying_which()
    {
        var options = new PriceListOptions
        {
            Models =
            [
                new ModelPrice { Model = "gpt-4o", InputPerMillion = 2.5m, OutputPerMillion = -1m },
                new ModelPrice { Model = "gpt-4o", InputPerMillion = 2.5m },
            ],
        };
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.Contains(results, r => r.ErrorMessage!.Contains("prices of 'gpt-4o' must not be negative"));
        Assert.Contains(results, r => r.ErrorMessage!.Contains("Models:1:Model must be set and unique"));
    }

    [Fact]
    public void A_cached_input_price_above_the_input_price_is_refused_since_dollar_budgets_hold_prompts_at_the_input_price()
    {
        var options = new PriceListOptions
        {
            Models =
            [
                new ModelPrice { Model = "odd", InputPerMillion = 1m, CachedInputPerMillion = 2m, OutputPerMillion = 3m },
                new ModelPrice { Model = "even", InputPerMillion = 1m, CachedInputPerMillion = 1m, OutputPerMillion = 3m },
            ],
        };
        var results = new List<ValidationResult>();

        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        var refusal = Assert.Single(results);
        Assert.Contains("cached input price of 'odd' must not be above its input price", refusal.ErrorMessage);
    }
}
