using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>Ends this broker's expired and idle cluster leases every sweep interval, and all of them at shutdown (their claims deleted, their seconds billed).</summary>
public sealed class ClusterJanitor(ClusterLeasing leasing, IOptions<SandboxBrokerOptions> options, TimeProvider time, ILogger<ClusterJanitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await leasing.SweepAsync();
                await Task.Delay(options.Value.SweepInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                logger.LogError(e, "Sweeping cluster sandboxes failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await leasing.EndAllAsync();
    }
}
