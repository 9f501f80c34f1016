using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentCloud.Platform.Outbox;

/// <summary>
/// Replays the spool at start (entries a previous run could not add), then retries it while anything is left, taking
/// over the spool of any replica that has died meanwhile.
/// </summary>
public sealed class OutboxFlusher(StreamOutbox outbox, IOptions<StreamOutboxOptions> options, ILogger<OutboxFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await outbox.TakeOverOrphansAsync(stoppingToken); // a sibling replica that died since
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Kept apart from the flush: a folder that cannot be taken over must not hold back this replica's own spool.
                logger.LogError(e, "Taking over a dead replica's spool failed; flushing our own and retrying");
            }
            try
            {
                if (outbox.HasSpooled)
                {
                    await outbox.FlushAsync(stoppingToken);
                }
                await Task.Delay(options.Value.RetryInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                logger.LogError(e, "Flushing the stream spool failed; retrying");
                await Task.Delay(options.Value.RetryInterval, stoppingToken);
            }
        }
    }
}
