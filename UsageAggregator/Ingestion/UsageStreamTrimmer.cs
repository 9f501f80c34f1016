using AgentCloud.Platform.Streams;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Ingestion;

/// <summary>
/// Trims the usage stream of the events every consumer group has acknowledged (they are in Postgres by then), so the
/// stream's memory stays bounded however long the platform runs. Unread and pending events stay.
/// </summary>
public sealed class UsageStreamTrimmer(IConnectionMultiplexer redis, IOptions<UsageIngestionOptions> options, ILogger<UsageStreamTrimmer> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.TrimInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var trimmed = await AcknowledgedTrim.TrimAsync(redis.GetDatabase(), options.Value.StreamName);
                if (trimmed > 0)
                {
                    logger.LogDebug("Trimmed {Count} acknowledged usage events from {Stream}", trimmed, options.Value.StreamName);
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogDebug(e, "Redis did not answer the stream trim; trying again at the next interval");
            }
        }
    }
}
