using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentCloud.ServiceDefaults.Tenancy;

/// <summary>
/// Fetches the Gateway's keys once at start, so the first calls after a (re)start do not all wait on that fetch
/// (the fault suite saw a restarted service's first answers take ~2 s). Best effort: a miss is fetched on first use.
/// </summary>
public sealed class JwksWarmUp(JwksKeySource keys, ILogger<JwksWarmUp> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await keys.GetKeysAsync(forceRefresh: false, stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            logger.LogDebug(e, "The Gateway's keys could not be fetched at start; the first call will fetch them");
        }
    }
}
