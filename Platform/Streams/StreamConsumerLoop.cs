using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentCloud.Platform.Streams;

/// <summary>
/// The loop of a stream consumer service: makes its group once, handles batches until there is nothing to do, then
/// polls. A failure (Redis or the consumer's own store away) leaves the batch pending and is retried after a poll
/// interval, reading its own pending entries again; a consumer implements only <see cref="ProcessNextAsync"/>.
/// </summary>
public abstract class StreamConsumerLoop(StreamConsumerGroup group, TimeSpan pollInterval, ILogger logger) : BackgroundService
{
    protected StreamConsumerGroup Group => group;

    /// <summary>Handles one batch; returns how many entries it held.</summary>
    public abstract Task<int> ProcessNextAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var groupReady = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await group.EnsureAsync();
                    groupReady = true;
                }
                if (await ProcessNextAsync(stoppingToken) == 0)
                {
                    await Task.Delay(pollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            // Anything unexpected: the entries stay pending and are read again.
            catch (Exception e)
            {
                logger.LogError(e, "Reading the stream {Stream} failed; retrying", group.Settings.Stream);
                group.Reset();
                await Task.Delay(pollInterval, stoppingToken);
            }
        }
    }
}
