using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Qdrant.Client;

namespace AgentCloud.Memory.Backends;

/// <summary>Healthy when Qdrant answers its gRPC health call with the configured API key.</summary>
internal sealed class QdrantHealthCheck(QdrantClient client, IOptions<VectorBackendOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(3));
            var reply = await client.HealthAsync(cts.Token);
            return HealthCheckResult.Healthy($"{options.Value.Describe()} {reply.Version}");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"{options.Value.Describe()}: Qdrant does not answer", e);
        }
    }
}
