using AgentCloud.Platform.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AgentCloud.UsageAggregator.Data;

/// <summary>One event as the ledger records it: with the stream entry it came from, its seconds as stored, and its cost.</summary>
public sealed record LedgerRow(UsageEvent Event, string StreamId, decimal SandboxSeconds, decimal Cost);

/// <summary>
/// Writes a batch inside the caller's transaction: raw events with the event id unique, priced at the price in force
/// at the event's start, and the rollups of only the rows actually inserted, so a redelivered or replayed event
/// changes nothing. Nearly every batch is all new events, so the batch is first copied straight into the ledger
/// (binary COPY, the cheapest insert Postgres has); only when that meets an event id already there is it undone
/// (to a savepoint) and inserted again through a staging table with <c>ON CONFLICT DO NOTHING</c>.
/// </summary>
public static class UsageBatchWriter
{
    private const string Columns = """
        event_id, tenant_id, principal, run_id, kind, resource, endpoint, placement, input_tokens, cached_input_tokens,
        output_tokens, weighted_tokens, sandbox_seconds, started_at, duration_ms, status, cost, stream_id, project_id
        """;

    private const string AllNew = "batch_all_new";

    // Temporary, so never WAL-logged and private to the transaction; dropped at commit or rollback.
    private const string CreateStaging = """
        CREATE TEMP TABLE usage_staging (
            event_id text COLLATE "C", tenant_id text, principal text, run_id text, kind text, resource text, endpoint text,
            placement text, input_tokens bigint, cached_input_tokens bigint, output_tokens bigint, weighted_tokens bigint,
            sandbox_seconds numeric(18, 6), started_at timestamptz, duration_ms bigint, status text, cost numeric, stream_id text,
            project_id text
        ) ON COMMIT DROP
        """;

    private const string InsertNewFromStaging = $"""
        INSERT INTO usage_events ({Columns})
        SELECT {Columns} FROM usage_staging
        ORDER BY event_id
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
        """;

    private const string UpsertRollups = """
        INSERT INTO usage_rollups AS r (tenant_id, kind, resource, minute, principal, project_id, events, input_tokens,
            cached_input_tokens, output_tokens, weighted_tokens, sandbox_seconds, cost)
        SELECT * FROM unnest(@tenant, @kind, @resource, @minute, @principal, @project, @events, @input, @cached, @output, @weighted, @seconds, @cost)
        -- A fixed order takes row locks in the same order in every consumer, so concurrent batches cannot deadlock.
        ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (tenant_id, kind, resource, minute, principal, project_id) DO UPDATE SET
            events = r.events + excluded.events,
            input_tokens = r.input_tokens + excluded.input_tokens,
            cached_input_tokens = r.cached_input_tokens + excluded.cached_input_tokens,
            output_tokens = r.output_tokens + excluded.output_tokens,
            weighted_tokens = r.weighted_tokens + excluded.weighted_tokens,
            sandbox_seconds = r.sandbox_seconds + excluded.sandbox_seconds,
            cost = r.cost + excluded.cost
        """;

    public static async Task<IReadOnlyList<RollupDelta>> WriteAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<(UsageEvent Event, string StreamId)> events, CancellationToken cancellationToken)
    {
        var prices = await PriceList.LoadAsync(conn, tx, cancellationToken);
        var rows = Priced(events, prices);

        IReadOnlyList<LedgerRow> inserted = rows;
        await tx.SaveAsync(AllNew, cancellationToken);
        try
        {
            await CopyAsync(conn, $"COPY usage_events ({Columns}) FROM STDIN (FORMAT binary)", rows, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Some were counted before (a redelivery or a replay): undo the copy, keep the transaction, insert only the new.
            await tx.RollbackAsync(AllNew, cancellationToken);
            inserted = await InsertNewOnlyAsync(conn, tx, rows, cancellationToken);
        }

        var deltas = RollupDelta.Of(inserted);
        if (deltas.Count > 0)
        {
            await UpsertRollupsAsync(conn, tx, deltas, cancellationToken);
        }
        return deltas;
    }

    /// <summary>Prices each event once, drops repeats of an event id, and orders by event id.</summary>
    private static List<LedgerRow> Priced(IReadOnlyList<(UsageEvent Event, string StreamId)> events, PriceList prices)
    {
        var rows = new List<LedgerRow>(events.Count);
        foreach (var (e, streamId) in events)
        {
            var seconds = PriceList.LedgerSeconds(e.SandboxSeconds);
            rows.Add(new LedgerRow(e, streamId, seconds, prices.Cost(e, seconds)));
        }
        // Event ids in a fixed (byte) order, the index's own: two batches sharing redelivered events then wait for
        // each other instead of deadlocking.
        rows.Sort(static (a, b) => string.CompareOrdinal(a.Event.EventId, b.Event.EventId));
        rows.RemoveAll(NotFirstOfItsId());
        return rows;
    }

    private static Predicate<LedgerRow> NotFirstOfItsId()
    {
        string? previous = null;
        return row =>
        {
            var repeat = previous == row.Event.EventId;
            previous = row.Event.EventId;
            return repeat;
        };
    }

    private static async Task<IReadOnlyList<LedgerRow>> InsertNewOnlyAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, List<LedgerRow> rows, CancellationToken cancellationToken)
    {
        await using (var create = new NpgsqlCommand(CreateStaging, conn, tx))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        await CopyAsync(conn, $"COPY usage_staging ({Columns}) FROM STDIN (FORMAT binary)", rows, cancellationToken);

        var insertedIds = new HashSet<string>(StringComparer.Ordinal);
        await using (var insert = new NpgsqlCommand(InsertNewFromStaging, conn, tx))
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                insertedIds.Add(reader.GetString(0));
            }
        }
        await using (var drop = new NpgsqlCommand("DROP TABLE usage_staging", conn, tx))
        {
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }
        return rows.FindAll(r => insertedIds.Contains(r.Event.EventId));
    }

    private static async Task CopyAsync(NpgsqlConnection conn, string copyCommand, List<LedgerRow> rows, CancellationToken cancellationToken)
    {
        await using var copy = await conn.BeginBinaryImportAsync(copyCommand, cancellationToken);
        foreach (var (e, streamId, seconds, cost) in rows)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(e.EventId, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(e.TenantId, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(e.Principal, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(copy, e.RunId, cancellationToken);
            await copy.WriteAsync(e.Kind, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(e.Resource, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(copy, e.Endpoint, cancellationToken);
            await WriteNullableAsync(copy, e.Placement, cancellationToken);
            await copy.WriteAsync(e.InputTokens, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(e.CachedInputTokens, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(e.OutputTokens, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(e.WeightedTokens, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(seconds, NpgsqlDbType.Numeric, cancellationToken);
            await copy.WriteAsync(e.StartedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
            await copy.WriteAsync(e.DurationMs, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(e.Status, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(cost, NpgsqlDbType.Numeric, cancellationToken);
            await copy.WriteAsync(streamId, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(copy, RollupDelta.ProjectOf(e), cancellationToken);
        }
        await copy.CompleteAsync(cancellationToken);
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static async Task UpsertRollupsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<RollupDelta> deltas, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(UpsertRollups, conn, tx);
        var p = cmd.Parameters;
        p.Add(new NpgsqlParameter<string[]>("tenant", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. deltas.Select(d => d.TenantId)] });
        p.Add(new NpgsqlParameter<string[]>("kind", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. deltas.Select(d => d.Kind)] });
        p.Add(new NpgsqlParameter<string[]>("resource", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. deltas.Select(d => d.Resource)] });
        p.Add(new NpgsqlParameter<DateTime[]>("minute", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. deltas.Select(d => d.Minute.UtcDateTime)] });
        p.Add(new NpgsqlParameter<string[]>("principal", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. deltas.Select(d => d.Principal)] });
        p.Add(new NpgsqlParameter<string[]>("project", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. deltas.Select(d => d.ProjectId)] });
        p.Add(new NpgsqlParameter<long[]>("events", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. deltas.Select(d => d.Events)] });
        p.Add(new NpgsqlParameter<long[]>("input", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. deltas.Select(d => d.InputTokens)] });
        p.Add(new NpgsqlParameter<long[]>("cached", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. deltas.Select(d => d.CachedInputTokens)] });
        p.Add(new NpgsqlParameter<long[]>("output", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. deltas.Select(d => d.OutputTokens)] });
        p.Add(new NpgsqlParameter<long[]>("weighted", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. deltas.Select(d => d.WeightedTokens)] });
        p.Add(new NpgsqlParameter<decimal[]>("seconds", NpgsqlDbType.Array | NpgsqlDbType.Numeric) { TypedValue = [.. deltas.Select(d => d.SandboxSeconds)] });
        p.Add(new NpgsqlParameter<decimal[]>("cost", NpgsqlDbType.Array | NpgsqlDbType.Numeric) { TypedValue = [.. deltas.Select(d => d.Cost)] });
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
