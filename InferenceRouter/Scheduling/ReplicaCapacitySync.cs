namespace AgentCloud.InferenceRouter.Scheduling;

/// <summary>Runs every shared endpoint's heartbeat in the background, so no call ever waits on Redis for its slot.</summary>
public sealed class ReplicaCapacitySync(EndpointSchedulers schedulers, ILogger<ReplicaCapacitySync> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // All at once: one after another, a few slow endpoints would stretch every other endpoint's period past its lease.
            await Task.WhenAll(schedulers.Shares.Select(share => SyncAsync(share, stoppingToken)));
            try
            {
                await schedulers.NextHeartbeatAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken); // the heartbeat loop ends first, so no heartbeat re-registers a replica that left
        await Task.WhenAll(schedulers.Shares.Select(share => share.LeaveAsync(cancellationToken)));
    }

    private async Task SyncAsync(ReplicaShare share, CancellationToken stoppingToken)
    {
        try
        {
            await share.SyncOnceAsync(stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // A bug here must not stop every endpoint's heartbeat; the share's own lease rules keep the cap.
            logger.LogError(e, "Heartbeat for endpoint {Endpoint} failed", share.Endpoint);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
