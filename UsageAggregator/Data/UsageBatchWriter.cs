using AgentCloud.ServiceDefaults.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AgentCloud.UsageAggregator.Data;

/// <summary>What one committed batch added to a rollup bucket (events already in the ledger add nothing).</summary>
public sealed record RollupDelta(
    string TenantId, string Kind, string Resource, DateTimeOffset Minute, long Events,
    long InputTokens, long CachedInputTokens, long OutputTokens, long WeightedTokens, decimal SandboxSeconds, decimal Cost);

/// <summary>
/// Writes a batch in one statement inside the caller's transaction: raw events with the event id unique
/// (<c>ON CONFLICT DO NOTHING</c>), priced at the price in force at the event's start, and the rollups of only
/// the rows actually inserted, so a redelivered or replayed event changes nothing.
/// </summary>
public static class UsageBatchWriter
{
    // Cached input tokens are a part of input tokens (as in OpenAI's usage), billed at the cached price.
    private const string Sql = """
        WITH batch AS (
            SELECT * FROM unnest(@event_id, @tenant_id, @principal, @run_id, @kind, @resource, @endpoint, @placement,
                                 @input, @cached, @output, @weighted, @sandbox, @started, @duration, @status, @stream_id)
                AS b(event_id, tenant_id, principal, run_id, kind, resource, endpoint, placement,
                     input_tokens, cached_input_tokens, output_tokens, weighted_tokens, sandbox_seconds, started_at, duration_ms, status, stream_id)
        ),
        -- Each price with the end of its validity, so that the batch prices with one hash join rather than a lookup a row.
        price_periods AS (
            SELECT resource, effective_from,
                   coalesce(lead(effective_from) OVER (PARTITION BY resource ORDER BY effective_from), 'infinity') AS effective_to,
                   input_per_million, cached_input_per_million, output_per_million, per_sandbox_second
            FROM usage_prices
        ),
        priced AS (
            SELECT b.*, b.sandbox_seconds::numeric(18, 6) AS seconds,
                   round(greatest(b.input_tokens - b.cached_input_tokens, 0) * coalesce(p.input_per_million, 0) / 1000000
                       + b.cached_input_tokens * coalesce(p.cached_input_per_million, 0) / 1000000
                       + b.output_tokens * coalesce(p.output_per_million, 0) / 1000000
                       + b.sandbox_seconds::numeric(18, 6) * coalesce(p.per_sandbox_second, 0), 9) AS cost
            FROM batch b
            LEFT JOIN price_periods p
                ON p.resource = b.resource AND b.started_at >= p.effective_from AND b.started_at < p.effective_to
        ),
        inserted AS (
            INSERT INTO usage_events (event_id, tenant_id, principal, run_id, kind, resource, endpoint, placement,
                input_tokens, cached_input_tokens, output_tokens, weighted_tokens, sandbox_seconds, started_at, duration_ms, status, cost, stream_id)
            SELECT event_id, tenant_id, principal, run_id, kind, resource, endpoint, placement,
                input_tokens, cached_input_tokens, output_tokens, weighted_tokens, seconds, started_at, duration_ms, status, cost, stream_id
            FROM priced
            -- Event ids in a fixed order too: two batches sharing redelivered events then wait for each other instead of deadlocking.
            ORDER BY event_id
            ON CONFLICT (event_id) DO NOTHING
            RETURNING tenant_id, kind, resource, date_trunc('minute', started_at, 'UTC') AS minute,
                input_tokens, cached_input_tokens, output_tokens, weighted_tokens, sandbox_seconds, cost
        ),
        delta AS (
            SELECT tenant_id, kind, resource, minute, count(*) AS events,
                   sum(input_tokens)::bigint AS input_tokens, sum(cached_input_tokens)::bigint AS cached_input_tokens,
                   sum(output_tokens)::bigint AS output_tokens, sum(weighted_tokens)::bigint AS weighted_tokens,
                   sum(sandbox_seconds) AS sandbox_seconds, sum(cost) AS cost
            FROM inserted GROUP BY tenant_id, kind, resource, minute
        ),
        upserted AS (
            INSERT INTO usage_rollups AS r (tenant_id, kind, resource, minute, events, input_tokens, cached_input_tokens,
                output_tokens, weighted_tokens, sandbox_seconds, cost)
            -- A fixed order takes row locks in the same order in every consumer, so concurrent batches cannot deadlock.
            SELECT * FROM delta ORDER BY tenant_id, kind, resource, minute
            ON CONFLICT (tenant_id, kind, resource, minute) DO UPDATE SET
                events = r.events + excluded.events,
                input_tokens = r.input_tokens + excluded.input_tokens,
                cached_input_tokens = r.cached_input_tokens + excluded.cached_input_tokens,
                output_tokens = r.output_tokens + excluded.output_tokens,
                weighted_tokens = r.weighted_tokens + excluded.weighted_tokens,
                sandbox_seconds = r.sandbox_seconds + excluded.sandbox_seconds,
                cost = r.cost + excluded.cost
        )
        SELECT tenant_id, kind, resource, minute, events, input_tokens, cached_input_tokens, output_tokens, weighted_tokens, sandbox_seconds, cost
        FROM delta
        """;

    public static async Task<IReadOnlyList<RollupDelta>> WriteAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<(UsageEvent Event, string StreamId)> events, CancellationToken cancellationToken)
    {
        var n = events.Count;
        var eventId = new string[n]; var tenant = new string[n]; var principal = new string[n]; var runId = new string?[n];
        var kind = new string[n]; var resource = new string[n]; var endpoint = new string?[n]; var placement = new string?[n];
        var input = new long[n]; var cached = new long[n]; var output = new long[n]; var weighted = new long[n];
        var sandbox = new double[n]; var started = new DateTime[n]; var duration = new long[n]; var status = new string[n]; var streamId = new string[n];
        for (var i = 0; i < n; i++)
        {
            var (e, id) = events[i];
            eventId[i] = e.EventId; tenant[i] = e.TenantId; principal[i] = e.Principal; runId[i] = e.RunId;
            kind[i] = e.Kind; resource[i] = e.Resource; endpoint[i] = e.Endpoint; placement[i] = e.Placement;
            input[i] = e.InputTokens; cached[i] = e.CachedInputTokens; output[i] = e.OutputTokens; weighted[i] = e.WeightedTokens;
            sandbox[i] = e.SandboxSeconds; started[i] = e.StartedAt.UtcDateTime; duration[i] = e.DurationMs; status[i] = e.Status; streamId[i] = id;
        }

        await using var cmd = new NpgsqlCommand(Sql, conn, tx);
        var p = cmd.Parameters;
        p.Add(new NpgsqlParameter<string[]>("event_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = eventId });
        p.Add(new NpgsqlParameter<string[]>("tenant_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = tenant });
        p.Add(new NpgsqlParameter<string[]>("principal", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = principal });
        p.Add(new NpgsqlParameter<string?[]>("run_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = runId });
        p.Add(new NpgsqlParameter<string[]>("kind", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = kind });
        p.Add(new NpgsqlParameter<string[]>("resource", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = resource });
        p.Add(new NpgsqlParameter<string?[]>("endpoint", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = endpoint });
        p.Add(new NpgsqlParameter<string?[]>("placement", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = placement });
        p.Add(new NpgsqlParameter<long[]>("input", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = input });
        p.Add(new NpgsqlParameter<long[]>("cached", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = cached });
        p.Add(new NpgsqlParameter<long[]>("output", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = output });
        p.Add(new NpgsqlParameter<long[]>("weighted", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = weighted });
        p.Add(new NpgsqlParameter<double[]>("sandbox", NpgsqlDbType.Array | NpgsqlDbType.Double) { TypedValue = sandbox });
        p.Add(new NpgsqlParameter<DateTime[]>("started", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = started });
        p.Add(new NpgsqlParameter<long[]>("duration", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = duration });
        p.Add(new NpgsqlParameter<string[]>("status", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = status });
        p.Add(new NpgsqlParameter<string[]>("stream_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = streamId });

        var deltas = new List<RollupDelta>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            deltas.Add(new RollupDelta(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetInt64(4),
                reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetDecimal(9), reader.GetDecimal(10)));
        }
        return deltas;
    }
}
