using AgentCloud.UsageAggregator.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Ingestion;

/// <summary>
/// Runs this replica's consumers. A consumer that fails (Redis or Postgres away, a deadlock) backs off and starts
/// again from its own pending entries, so nothing it had read is lost and nothing it had committed is counted twice.
/// </summary>
public sealed class UsageIngestionWorker(IServiceProvider services, IOptions<UsageIngestionOptions> options, ILogger<UsageIngestionWorker> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var prefix = options.Value.ConsumerName ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        var consumers = Enumerable.Range(0, options.Value.Consumers)
            .Select(i => Create(services, $"{prefix}-{i}"))
            .Select(c => Task.Run(() => RunAsync(c, stoppingToken), stoppingToken));
        return Task.WhenAll([.. consumers, Task.Run(() => SampleBacklogAsync(stoppingToken), stoppingToken)]);
    }

    private async Task SampleBacklogAsync(CancellationToken stoppingToken)
    {
        var redis = services.GetRequiredService<IConnectionMultiplexer>();
        var metrics = services.GetRequiredService<UsageMetrics>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var groups = await redis.GetDatabase().StreamGroupInfoAsync(options.Value.StreamName);
                var group = groups.FirstOrDefault(g => g.Name == options.Value.ConsumerGroup);
                if (group.Name is not null)
                {
                    metrics.Backlog((group.Lag ?? 0) + group.PendingMessageCount);
                }
                await Task.Delay(BacklogSampleInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RedisException)
            {
                await Task.Delay(BacklogSampleInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private static readonly TimeSpan BacklogSampleInterval = TimeSpan.FromSeconds(5);

    /// <summary>The pause after another empty read: doubled, between the poll interval and the idle limit.</summary>
    public static TimeSpan NextIdlePause(TimeSpan pause, UsageIngestionOptions options)
    {
        var limit = options.IdlePollLimit > options.PollInterval ? options.IdlePollLimit : options.PollInterval;
        return pause * 2 < limit ? pause * 2 : limit;
    }

    /// <summary>Builds a consumer with the given name from the container (tests use it to run consumers by hand).</summary>
    public static UsageConsumer Create(IServiceProvider services, string name) => new(
        name,
        services.GetRequiredService<IConnectionMultiplexer>(),
        services.GetRequiredService<NpgsqlDataSource>(),
        services.GetRequiredService<UsageEventValidator>(),
        services.GetRequiredService<UsageMetrics>(),
        services.GetRequiredService<UsageConsumerHooks>(),
        services.GetRequiredService<IOptions<UsageIngestionOptions>>(),
        services.GetRequiredService<TimeProvider>());

    private async Task RunAsync(UsageConsumer consumer, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        var idlePause = options.Value.PollInterval;
        var groupReady = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await consumer.EnsureGroupAsync();
                    groupReady = true;
                }
                var handled = await consumer.ProcessNextAsync(stoppingToken);
                backoff = TimeSpan.Zero;
                if (handled == 0)
                {
                    await Task.Delay(idlePause, stoppingToken);
                    idlePause = NextIdlePause(idlePause, options.Value);
                }
                else
                {
                    idlePause = options.Value.PollInterval;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // NOGROUP after Redis lost its data: make the group again on the next round.
                groupReady = ex is not RedisServerException rse || !rse.Message.Contains("NOGROUP", StringComparison.Ordinal);
                consumer.Reset();
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(50) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.Value.MaxBackoff.Ticks));
                logger.LogWarning(ex, "Usage consumer {Consumer} failed; retrying its pending events in {Backoff}", consumer.Name, backoff);
                try
                {
                    await Task.Delay(backoff, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
