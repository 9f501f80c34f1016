using Npgsql;

namespace AgentCloud.UsageAggregator.Data;

/// <summary>Creates the usage tables and seeds the sandbox prices (model prices come from configuration); idempotent, serialised across replicas by an advisory lock.</summary>
public static class UsageSchema
{
    internal const long AdvisoryLockKey = 0x55_53_41_47_45; // "USAGE"

    public static async Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var stream = typeof(UsageSchema).Assembly.GetManifestResourceStream("UsageSchema.sql")
            ?? throw new InvalidOperationException("The embedded resource UsageSchema.sql is missing from the build.");
        using var reader = new StreamReader(stream);
        var sql = await reader.ReadToEndAsync(cancellationToken);

        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", conn, tx))
        {
            lockCmd.Parameters.AddWithValue("key", AdvisoryLockKey);
            await lockCmd.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var cmd = new NpgsqlCommand(sql, conn, tx))
        {
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }
}
