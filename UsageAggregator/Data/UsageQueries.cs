using Npgsql;

namespace AgentCloud.UsageAggregator.Data;

/// <summary>
/// How usage rows are grouped: by model or sandbox level, by UTC day, by key (the event's principal), by project (the
/// calling key's), or one total.
/// </summary>
public enum UsageGrouping
{
    Model,
    Day,
    Total,
    Key,
    Project,
}

/// <summary>
/// One row of usage and cost over a period. Tool calls keep their seconds in the ledger's one seconds column; here they
/// are apart (<see cref="ToolCalls"/>, <see cref="ToolSeconds"/>), so sandbox-seconds never include a tool's time.
/// <see cref="Key"/> is set when grouped by key: the key id, or the principal as recorded when it is not a key.
/// <see cref="ProjectId"/> is set when grouped by project or key; null there is the usage of keys of no project.
/// </summary>
public sealed record UsageRow(
    string TenantId, string? Kind, string? Model, DateTimeOffset? Day, long Events, long InputTokens, long CachedInputTokens,
    long OutputTokens, long WeightedTokens, decimal SandboxSeconds, decimal Cost, long ToolCalls = 0, decimal ToolSeconds = 0,
    string? Key = null, string? ProjectId = null)
{
    private const string KeyPrefix = "key:";

    /// <summary>A principal as a key column shows it: <c>key:key_0123…</c> is <c>key_0123…</c>; any other form as it is.</summary>
    public static string KeyOf(string principal) =>
        principal.StartsWith(KeyPrefix, StringComparison.Ordinal) ? principal[KeyPrefix.Length..] : principal;
}

/// <summary>
/// Reads the rollups; every query is for the tenant id given, which the API takes from the caller's context only. A
/// project filter of null reads every project; <see cref="RollupDelta.NoProject"/> reads the usage of no project.
/// </summary>
public sealed class UsageQueries(NpgsqlDataSource dataSource)
{
    private const string Sums = """
        sum(events)::bigint, sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint, sum(output_tokens)::bigint,
        sum(weighted_tokens)::bigint, coalesce(sum(sandbox_seconds) FILTER (WHERE kind <> 'tool'), 0), sum(cost),
        coalesce(sum(events) FILTER (WHERE kind = 'tool'), 0)::bigint, coalesce(sum(sandbox_seconds) FILTER (WHERE kind = 'tool'), 0)
        """;

    private const string Project = "nullif(project_id, '')";

    /// <summary>One tenant's usage between <paramref name="from"/> (inclusive) and <paramref name="to"/> (exclusive), to the minute.</summary>
    public async Task<IReadOnlyList<UsageRow>> ForTenantAsync(
        string tenantId, DateTimeOffset from, DateTimeOffset to, UsageGrouping grouping, string? model, CancellationToken cancellationToken,
        string? projectId = null)
    {
        var (select, groupBy) = grouping switch
        {
            UsageGrouping.Model => ("kind, resource, NULL::timestamptz, NULL::text, NULL::text", "GROUP BY tenant_id, kind, resource ORDER BY kind, resource"),
            UsageGrouping.Day => ("NULL::text, NULL::text, date_trunc('day', minute, 'UTC'), NULL::text, NULL::text", "GROUP BY tenant_id, 4 ORDER BY 4"),
            UsageGrouping.Key => ($"NULL::text, NULL::text, NULL::timestamptz, principal, {Project}",
                "GROUP BY tenant_id, principal, project_id ORDER BY principal, project_id"),
            UsageGrouping.Project => ($"NULL::text, NULL::text, NULL::timestamptz, NULL::text, {Project}", "GROUP BY tenant_id, project_id ORDER BY project_id"),
            _ => ("NULL::text, NULL::text, NULL::timestamptz, NULL::text, NULL::text", "GROUP BY tenant_id"),
        };
        await using var cmd = dataSource.CreateCommand($"""
            SELECT tenant_id, {select}, {Sums}
            FROM usage_rollups
            WHERE tenant_id = @tenant AND minute >= @from AND minute < @to AND (@model::text IS NULL OR resource = @model)
              AND (@project::text IS NULL OR project_id = @project)
            {groupBy}
            """);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("from", from.UtcDateTime);
        cmd.Parameters.AddWithValue("to", to.UtcDateTime);
        cmd.Parameters.Add(new NpgsqlParameter("model", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)model ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("project", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)projectId ?? DBNull.Value });
        return await ReadRowsAsync(cmd, cancellationToken);
    }

    /// <summary>
    /// Chargeback rows per tenant and model or sandbox level, split further per project (<see cref="UsageGrouping.Project"/>)
    /// or per key and its project (<see cref="UsageGrouping.Key"/>), for one tenant or (null) all, offboarded ones included.
    /// </summary>
    public async Task<IReadOnlyList<UsageRow>> ChargebackAsync(
        string? tenantId, DateTimeOffset from, DateTimeOffset to, UsageGrouping grouping, CancellationToken cancellationToken,
        string? projectId = null)
    {
        var (select, groupBy) = grouping switch
        {
            UsageGrouping.Key => ($"principal, {Project}",
                "GROUP BY tenant_id, principal, project_id, kind, resource ORDER BY tenant_id, principal, project_id, kind, resource"),
            UsageGrouping.Project => ($"NULL::text, {Project}", "GROUP BY tenant_id, project_id, kind, resource ORDER BY tenant_id, project_id, kind, resource"),
            _ => ("NULL::text, NULL::text", "GROUP BY tenant_id, kind, resource ORDER BY tenant_id, kind, resource"),
        };
        await using var cmd = dataSource.CreateCommand($"""
            SELECT tenant_id, kind, resource, NULL::timestamptz, {select}, {Sums}
            FROM usage_rollups
            WHERE (@tenant::text IS NULL OR tenant_id = @tenant) AND minute >= @from AND minute < @to
              AND (@project::text IS NULL OR project_id = @project)
            {groupBy}
            """);
        cmd.Parameters.Add(new NpgsqlParameter("tenant", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)tenantId ?? DBNull.Value });
        cmd.Parameters.AddWithValue("from", from.UtcDateTime);
        cmd.Parameters.AddWithValue("to", to.UtcDateTime);
        cmd.Parameters.Add(new NpgsqlParameter("project", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)projectId ?? DBNull.Value });
        return await ReadRowsAsync(cmd, cancellationToken);
    }

    private static async Task<IReadOnlyList<UsageRow>> ReadRowsAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var rows = new List<UsageRow>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new UsageRow(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10),
                reader.GetDecimal(11), reader.GetDecimal(12), reader.GetInt64(13), reader.GetDecimal(14),
                reader.IsDBNull(4) ? null : UsageRow.KeyOf(reader.GetString(4)),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        return rows;
    }
}
