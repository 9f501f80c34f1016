using AgentCloud.SandboxBroker.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>Looks for dead siblings and settles their sandboxes, on its own loop beside the heartbeat; also retries fleet ends Redis refused.</summary>
public sealed class FleetReaper(LostSandboxes lost, FleetLeases leases, IOptions<FleetOptions> options, ILogger<FleetReaper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await leases.RetryUnfinishedAsync();
                await lost.ReapSilentAsync();
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning(e, "Looking for dead brokers failed; retrying");
            }
            try
            {
                await Task.Delay(options.Value.HeartbeatInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
