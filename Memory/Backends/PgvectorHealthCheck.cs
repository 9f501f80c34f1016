using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentCloud.Memory.Backends;

/// <summary>Healthy when Postgres answers and the <c>vector</c> extension is installed in the memory database.</summary>
internal sealed class PgvectorHealthCheck(NpgsqlDataSource dataSource, IOptions<VectorBackendOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
            var version = await cmd.ExecuteScalarAsync(cancellationToken);
            return version is string v
                ? HealthCheckResult.Healthy($"{options.Value.Describe()}, pgvector {v}")
                : HealthCheckResult.Unhealthy($"{options.Value.Describe()}: the vector extension is not installed (run eng/prereqs.sh)");
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{options.Value.Describe()}: Postgres does not answer", e);
        }
    }
}
