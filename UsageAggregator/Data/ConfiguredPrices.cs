using AgentCloud.Platform.Pricing;
using AgentCloud.UsageAggregator.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentCloud.UsageAggregator.Data;

/// <summary>
/// Writes the configured model prices into <c>usage_prices</c> at start, after the schema: a price that differs from
/// the one in force gets a new row effective now (or at its configured <c>EffectiveFrom</c>), so history is never
/// rewritten. Serialised across replicas by the schema's advisory lock.
/// </summary>
public sealed class ConfiguredPrices(NpgsqlDataSource dataSource, IOptions<PriceListOptions> options, TimeProvider time, ILogger<ConfiguredPrices> logger) : IHostedService
{
    private const string InsertIfChanged = """
        INSERT INTO usage_prices (resource, effective_from, input_per_million, cached_input_per_million, output_per_million)
        SELECT @resource, @from, @input, @cached, @output
        WHERE NOT EXISTS (
            SELECT 1 FROM (
                SELECT input_per_million, cached_input_per_million, output_per_million FROM usage_prices
                WHERE resource = @resource AND effective_from <= @from ORDER BY effective_from DESC LIMIT 1) current
            WHERE current.input_per_million = @input AND current.cached_input_per_million = @cached AND current.output_per_million = @output)
        ON CONFLICT (resource, effective_from) DO NOTHING
        RETURNING 1
        """;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Models.Count == 0)
        {
            return;
        }
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", conn, tx))
        {
            lockCmd.Parameters.AddWithValue("key", UsageSchema.AdvisoryLockKey);
            await lockCmd.ExecuteNonQueryAsync(cancellationToken);
        }
        var now = time.GetUtcNow();
        foreach (var price in options.Value.Models)
        {
            await using var cmd = new NpgsqlCommand(InsertIfChanged, conn, tx);
            cmd.Parameters.AddWithValue("resource", price.Model);
            cmd.Parameters.AddWithValue("from", (price.EffectiveFrom ?? now).UtcDateTime);
            cmd.Parameters.AddWithValue("input", price.InputPerMillion);
            cmd.Parameters.AddWithValue("cached", price.CachedInputPerMillion);
            cmd.Parameters.AddWithValue("output", price.OutputPerMillion);
            if (await cmd.ExecuteScalarAsync(cancellationToken) is not null)
            {
                logger.LogInformation("Price of {Model} from {From:o}: input {Input}, cached input {Cached}, output {Output} per million tokens",
                    price.Model, price.EffectiveFrom ?? now, price.InputPerMillion, price.CachedInputPerMillion, price.OutputPerMillion);
            }
            else if (price.EffectiveFrom is { } from && await DiffersAtAsync(conn, tx, price, from, cancellationToken))
            {
                logger.LogWarning("The configured price of {Model} differs from the one recorded from {From:o}, which is kept (history is not rewritten); "
                    + "give the new price a later EffectiveFrom, or none to apply it from now", price.Model, from);
            }
        }
        await tx.CommitAsync(cancellationToken);
    }

    private static async Task<bool> DiffersAtAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ModelPrice price, DateTimeOffset from, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT 1 FROM usage_prices WHERE resource = @resource AND effective_from = @from
              AND (input_per_million, cached_input_per_million, output_per_million) IS DISTINCT FROM (@input, @cached, @output)
            """, conn, tx);
        cmd.Parameters.AddWithValue("resource", price.Model);
        cmd.Parameters.AddWithValue("from", from.UtcDateTime);
        cmd.Parameters.AddWithValue("input", price.InputPerMillion);
        cmd.Parameters.AddWithValue("cached", price.CachedInputPerMillion);
        cmd.Parameters.AddWithValue("output", price.OutputPerMillion);
        return await cmd.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
