using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Pricing;
using Npgsql;

namespace AgentCloud.UsageAggregator.Data;

/// <summary>
/// The prices as one batch's transaction sees them, and what an event costs: the price in force at the event's start
/// (the latest row for its resource that took effect no later), nothing when none was. Cached input tokens are a part
/// of input tokens (as in OpenAI's usage), billed at the cached price.
/// </summary>
public sealed class PriceList
{
    private readonly Dictionary<string, Price[]> _byResource;

    private PriceList(Dictionary<string, Price[]> byResource) => _byResource = byResource;

    private sealed record Price(DateTime EffectiveFrom, decimal InputPerMillion, decimal CachedInputPerMillion, decimal OutputPerMillion, decimal PerSandboxSecond);

    private const decimal PerMillion = 0.000001m;

    /// <summary>Reads the prices inside the batch's transaction, so a price committed before the batch applies to it.</summary>
    public static async Task<PriceList> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT resource, effective_from, input_per_million, cached_input_per_million, output_per_million, per_sandbox_second
            FROM usage_prices ORDER BY resource, effective_from
            """, conn, tx);
        var byResource = new Dictionary<string, List<Price>>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var resource = reader.GetString(0);
            if (!byResource.TryGetValue(resource, out var prices))
            {
                byResource[resource] = prices = [];
            }
            prices.Add(new Price(reader.GetFieldValue<DateTime>(1),
                reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4), reader.GetDecimal(5)));
        }
        return new PriceList(byResource.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal));
    }

    /// <summary>Sandbox seconds as the ledger keeps them: <c>numeric(18, 6)</c>, rounded half away from zero.</summary>
    public static decimal LedgerSeconds(double seconds) => seconds == 0 ? 0m : Math.Round((decimal)seconds, 6, MidpointRounding.AwayFromZero);

    /// <summary>The event's cost, rounded to nine decimals; exact decimal arithmetic throughout.</summary>
    public decimal Cost(UsageEvent e, decimal ledgerSeconds)
    {
        var p = InForce(e.Resource, e.StartedAt.UtcDateTime);
        if (p is null)
        {
            return 0m;
        }
        // Micro-dollars to dollars: multiplying by 0.000001 is as exact as dividing by a million, and much cheaper.
        var cost = TokenCost.Microdollars(e.InputTokens, e.CachedInputTokens, e.OutputTokens, p.InputPerMillion, p.CachedInputPerMillion, p.OutputPerMillion) * PerMillion
            + ledgerSeconds * p.PerSandboxSecond;
        return Math.Round(cost, 9, MidpointRounding.AwayFromZero);
    }

    private Price? InForce(string resource, DateTime startedAt)
    {
        if (!_byResource.TryGetValue(resource, out var prices))
        {
            return null;
        }
        Price? inForce = null;
        foreach (var p in prices)
        {
            if (p.EffectiveFrom > startedAt)
            {
                break;
            }
            inForce = p;
        }
        return inForce;
    }
}
