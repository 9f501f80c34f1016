using Npgsql;

namespace AgentCloud.UsageAggregator.Data;

/// <summary>
/// A rollup bucket (one principal's usage of one resource in one minute, within one project) whose stored sums differ
/// from its raw events; <see cref="ProjectId"/> null is the usage of no project.
/// </summary>
public sealed record DriftRow(
    string TenantId, string Kind, string Resource, DateTimeOffset Minute, string Principal,
    long RawEvents, long RollupEvents, long RawTokens, long RollupTokens, decimal RawSandboxSeconds, decimal RollupSandboxSeconds,
    decimal RawCost, decimal RollupCost, string? ProjectId = null);

/// <summary>The outcome of recomputing the rollups from the raw events.</summary>
public sealed record ReconciliationReport(
    DateTimeOffset From, DateTimeOffset To, string? TenantId, long RawEvents, long RollupEvents, long Buckets, IReadOnlyList<DriftRow> Drift)
{
    public int DriftCount => Drift.Count;
}

/// <summary>
/// Recomputes the rollups from the raw events (the record) and lists every bucket that drifted from them. Buckets are
/// per principal and project, the finest grain the rollups keep, so the per-model, per-key and per-project views are all covered.
/// </summary>
public sealed class Reconciliation(NpgsqlDataSource dataSource)
{
    private const int MaxDriftRows = 1000;

    public async Task<ReconciliationReport> RunAsync(string? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        // Rollups hold whole minutes: compare whole minutes only.
        from = UsagePeriod.FloorToMinute(from);
        to = UsagePeriod.FloorToMinute(to);
        // Repeatable read: raw events and rollups are compared as of one snapshot, even while batches commit.
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using var cmd = new NpgsqlCommand("""
            WITH raw AS (
                SELECT tenant_id, kind, resource, date_trunc('minute', started_at, 'UTC') AS minute, principal,
                       coalesce(project_id, '') AS project_id, count(*)::bigint AS events,
                       sum(input_tokens + cached_input_tokens + output_tokens + weighted_tokens)::bigint AS tokens,
                       sum(sandbox_seconds) AS seconds, sum(cost) AS cost
                FROM usage_events
                WHERE (@tenant::text IS NULL OR tenant_id = @tenant) AND started_at >= @from AND started_at < @to
                GROUP BY 1, 2, 3, 4, 5, 6
            ),
            rolled AS (
                SELECT tenant_id, kind, resource, minute, principal, project_id, events,
                       (input_tokens + cached_input_tokens + output_tokens + weighted_tokens)::bigint AS tokens,
                       sandbox_seconds AS seconds, cost
                FROM usage_rollups
                WHERE (@tenant::text IS NULL OR tenant_id = @tenant) AND minute >= @from AND minute < @to
            ),
            joined AS (
                SELECT coalesce(r.tenant_id, u.tenant_id) AS tenant_id, coalesce(r.kind, u.kind) AS kind,
                       coalesce(r.resource, u.resource) AS resource, coalesce(r.minute, u.minute) AS minute,
                       coalesce(r.principal, u.principal) AS principal, coalesce(r.project_id, u.project_id) AS project_id,
                       coalesce(r.events, 0) AS raw_events, coalesce(u.events, 0) AS rollup_events,
                       coalesce(r.tokens, 0) AS raw_tokens, coalesce(u.tokens, 0) AS rollup_tokens,
                       coalesce(r.seconds, 0) AS raw_seconds, coalesce(u.seconds, 0) AS rollup_seconds,
                       coalesce(r.cost, 0) AS raw_cost, coalesce(u.cost, 0) AS rollup_cost
                FROM raw r FULL OUTER JOIN rolled u USING (tenant_id, kind, resource, minute, principal, project_id)
            )
            SELECT 0 AS part, tenant_id, kind, resource, minute, principal, raw_events, rollup_events, raw_tokens, rollup_tokens,
                   raw_seconds, rollup_seconds, raw_cost, rollup_cost, nullif(project_id, '') AS project
            FROM joined
            WHERE raw_events <> rollup_events OR raw_tokens <> rollup_tokens OR raw_seconds <> rollup_seconds OR raw_cost <> rollup_cost
            UNION ALL
            SELECT 1, NULL, NULL, NULL, NULL, NULL, sum(raw_events)::bigint, sum(rollup_events)::bigint, count(*), 0, 0, 0, 0, 0, NULL FROM joined
            ORDER BY 1, 2, 3, 4, 5, 6, 15
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter("tenant", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)tenantId ?? DBNull.Value });
        cmd.Parameters.AddWithValue("from", from.UtcDateTime);
        cmd.Parameters.AddWithValue("to", to.UtcDateTime);

        var drift = new List<DriftRow>();
        long rawEvents = 0, rollupEvents = 0, buckets = 0;
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetInt32(0) == 1)
                {
                    rawEvents = reader.IsDBNull(6) ? 0 : reader.GetInt64(6);
                    rollupEvents = reader.IsDBNull(7) ? 0 : reader.GetInt64(7);
                    buckets = reader.GetInt64(8);
                }
                else if (drift.Count < MaxDriftRows)
                {
                    drift.Add(new DriftRow(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4),
                        reader.GetString(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9),
                        reader.GetDecimal(10), reader.GetDecimal(11), reader.GetDecimal(12), reader.GetDecimal(13),
                        reader.IsDBNull(14) ? null : reader.GetString(14)));
                }
            }
        }
        await tx.CommitAsync(cancellationToken);
        return new ReconciliationReport(from, to, tenantId, rawEvents, rollupEvents, buckets, drift);
    }
}
