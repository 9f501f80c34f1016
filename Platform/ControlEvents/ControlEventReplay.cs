using AgentCloud.Platform.Streams;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AgentCloud.Platform.ControlEvents;

/// <summary>
/// One service's consumer group on the control-event stream: at start it handles what the group had read but not
/// acknowledged (a crash mid-event), then every event it missed while down, then new ones as they come; each is
/// acknowledged after its handler ran, and the stream is trimmed of what every group acknowledged.
/// </summary>
public abstract class ControlEventReplay(IConnectionMultiplexer redis, ILogger logger) : BackgroundService
{
    /// <summary>The consumer group: one per service, shared by its replicas (each event is handled by one of them).</summary>
    protected abstract string Group { get; }

    /// <summary>The pub/sub channels (<c>PlatformChannels</c>) this service acts on; other events are acknowledged unhandled.</summary>
    protected abstract IReadOnlySet<string> Channels { get; }

    protected virtual TimeSpan PollInterval => TimeSpan.FromMilliseconds(500);

    /// <summary>Acts on one event; must be idempotent (the pub/sub fast path may have delivered it already).</summary>
    protected abstract Task HandleAsync(string channel, string message, CancellationToken cancellationToken);

    private readonly string _consumer = $"{Environment.MachineName}-{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var db = redis.GetDatabase();
        var position = "0"; // first this consumer's own pending entries, then new ones
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (position == "0")
                {
                    await EnsureGroupAsync(db);
                }
                var entries = await db.StreamReadGroupAsync(ControlEventStream.StreamName, Group, _consumer, position, count: 100);
                if (entries.Length == 0)
                {
                    if (position == "0")
                    {
                        position = ">";
                        continue;
                    }
                    await Task.Delay(PollInterval, stoppingToken);
                    continue;
                }
                foreach (var entry in entries)
                {
                    var channel = entry[ControlEventStream.ChannelField].ToString();
                    if (Channels.Contains(channel))
                    {
                        await HandleAsync(channel, entry[ControlEventStream.MessageField].ToString(), stoppingToken);
                    }
                    await db.StreamAcknowledgeAsync(ControlEventStream.StreamName, Group, entry.Id);
                }
                await AcknowledgedTrim.TrimAsync(db, ControlEventStream.StreamName);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Redis away, or a handler failed (its store away): the entry stays pending and is handled again.
                logger.LogWarning(e, "Control events could not be read or handled for {Group}; retrying", Group);
                position = "0";
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>A new group starts at the stream's end: events from before the service ever ran are not its to replay.</summary>
    private async Task EnsureGroupAsync(IDatabase db)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(ControlEventStream.StreamName, Group, "$", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }
}
