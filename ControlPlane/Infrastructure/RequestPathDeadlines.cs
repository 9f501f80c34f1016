using Aspire.Npgsql.EntityFrameworkCore.PostgreSQL;
using Npgsql;

namespace AgentCloud.ControlPlane.Infrastructure;

/// <summary>
/// Short deadlines and no retry loop on the request path's connection to Postgres, so a Postgres that is away
/// (stopped, frozen, refusing) surfaces within about a second as a driver failure, which the shared
/// <c>RefusalExceptionHandler</c> answers 503 with Retry-After; a retry loop with 30 s commands was a hang.
/// The owner's connection (migrations at start) keeps its own defaults.
/// </summary>
internal static class RequestPathDeadlines
{
    public const int ConnectSeconds = 1;
    public const int CommandSeconds = 1;

    /// <summary>Connects with <paramref name="connectionString"/> (the service role's), under the deadlines.</summary>
    public static void Apply(NpgsqlEntityFrameworkCorePostgreSQLSettings settings, string? connectionString)
    {
        settings.DisableRetry = true;
        settings.CommandTimeout = CommandSeconds;
        settings.ConnectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Timeout = ConnectSeconds,
            CommandTimeout = CommandSeconds,
            // A frozen server never confirms a cancel: break the connection at once rather than wait for it.
            CancellationTimeout = -1,
        }.ConnectionString;
    }
}
