using AgentCloud.Platform.Streams;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AgentCloud.Platform.ControlEvents;

/// <summary>
/// The one way a service listens to control events (<see cref="ControlEventStream"/>), with one lifecycle: it
/// subscribes to the pub/sub fast path (retrying while Redis is away), and reads the durable stream in its consumer
/// group, so an event sent while the service was down or cut off from Redis is handled when it is back. Each event may
/// arrive on both paths, so <see cref="HandleAsync"/> must be idempotent. Stopping unsubscribes.
/// </summary>
public abstract class ControlEventListener(IConnectionMultiplexer redis, ILogger logger, ControlEventSubscription subscription) : BackgroundService
{
    private string Group => subscription.Group;

    private bool EveryReplica => subscription.EveryReplica;

    private IReadOnlySet<string> Channels => subscription.Channels;

    protected virtual TimeSpan PollInterval => TimeSpan.FromMilliseconds(250);

    /// <summary>A replica group whose consumers have all been idle this long belongs to a replica that is gone.</summary>
    protected virtual TimeSpan AbandonedAfter => TimeSpan.FromMinutes(15);

    /// <summary>Acts on one event; must be idempotent. An exception leaves a durable event pending, to be handled again.</summary>
    protected abstract Task HandleAsync(string channel, string message, CancellationToken cancellationToken);

    /// <summary>Called when the pub/sub connection comes back: fast-path messages of the gap may be lost (the stream has them).</summary>
    protected virtual void OnSubscriptionRestored()
    {
    }

    private readonly Lock _gate = new();
    private readonly List<RedisChannel> _subscribed = [];

    private string GroupName => EveryReplica ? $"{Group}:{StreamConsumerGroup.ProcessConsumerName}" : Group;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            await SubscribeAsync(stoppingToken);
            await ReplayAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            redis.ConnectionRestored -= OnConnectionRestored;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        RedisChannel[] channels;
        lock (_gate)
        {
            channels = [.. _subscribed];
            _subscribed.Clear();
        }
        foreach (var channel in channels)
        {
            try
            {
                await redis.GetSubscriber().UnsubscribeAsync(channel);
            }
            catch (Exception e) when (e is ObjectDisposedException or RedisException or OperationCanceledException)
            {
                // The connection went first (shutdown order), is away, or is closing and cancelled the command: there
                // is nothing left to unsubscribe from, and a stop must not fail over it.
            }
        }
    }

    private async Task SubscribeAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                var subscriber = redis.GetSubscriber();
                foreach (var name in Channels)
                {
                    var channel = RedisChannel.Literal(name);
                    lock (_gate)
                    {
                        if (_subscribed.Contains(channel))
                        {
                            continue;
                        }
                    }
                    (await subscriber.SubscribeAsync(channel)).OnMessage(message => HandleLiveAsync(name, message.Message.ToString(), stoppingToken));
                    lock (_gate)
                    {
                        _subscribed.Add(channel);
                    }
                }
                logger.LogInformation("{Group} listening for {Channels}", Group, string.Join(", ", Channels));
                return;
            }
            catch (RedisException e)
            {
                logger.LogWarning(e, "{Group} could not subscribe to control events yet; retrying", Group);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task HandleLiveAsync(string channel, string message, CancellationToken stoppingToken)
    {
        try
        {
            await HandleAsync(channel, message, stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // The durable stream brings the same event again; its handling is retried there.
            logger.LogWarning(e, "{Group} could not act on {Channel} now; the durable stream retries it", Group, channel);
        }
    }

    /// <summary>
    /// Reads the group: a new group starts at the stream's end (events from before the service ever ran are not its
    /// to replay); an existing one resumes where it stopped, its own unacknowledged entries first.
    /// </summary>
    private async Task ReplayAsync(CancellationToken stoppingToken)
    {
        var group = new StreamConsumerGroup(redis, new StreamConsumerGroupSettings(ControlEventStream.StreamName, GroupName, StreamConsumerGroup.ProcessConsumerName)
        {
            StartAt = StreamPosition.NewMessages,
            ClaimIdle = EveryReplica ? null : TimeSpan.FromSeconds(30),
            ClaimInterval = TimeSpan.FromSeconds(5),
        });
        var ready = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!ready)
                {
                    await group.EnsureAsync();
                    await ForgetAbandonedReplicasAsync();
                    ready = true;
                }
                var entries = await group.ReadNextAsync(DateTimeOffset.UtcNow);
                if (entries.Length == 0)
                {
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
                    await group.AcknowledgeAsync(entry.Id);
                }
                await group.TrimAcknowledgedAsync();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Redis away, or a handler failed (its store away): the entry stays pending and is handled again.
                logger.LogWarning(e, "Control events could not be read or handled for {Group}; retrying", GroupName);
                group.Reset();
                ready = false;
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>
    /// Drops the groups of this service's replicas that are gone (every consumer idle past <see cref="AbandonedAfter"/>),
    /// so the stream's trim is not held back by a replica that will never read again.
    /// </summary>
    private async Task ForgetAbandonedReplicasAsync()
    {
        if (!EveryReplica)
        {
            return;
        }
        var db = redis.GetDatabase();
        foreach (var info in await db.StreamGroupInfoAsync(ControlEventStream.StreamName))
        {
            if (info.Name is not { } name || name == GroupName || !name.StartsWith(Group + ":", StringComparison.Ordinal))
            {
                continue;
            }
            var consumers = await db.StreamConsumerInfoAsync(ControlEventStream.StreamName, name);
            if (consumers.Length > 0 && consumers.All(c => c.IdleTimeInMilliseconds > AbandonedAfter.TotalMilliseconds))
            {
                await db.StreamDeleteConsumerGroupAsync(ControlEventStream.StreamName, name);
                logger.LogInformation("Dropped the control-event group {Group} of a replica that is gone", name);
            }
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            OnSubscriptionRestored();
        }
    }
}

/// <summary>
/// What a <see cref="ControlEventListener"/> listens to. <paramref name="Group"/> is the service's consumer group: shared
/// by its replicas (each event handled once, for effects on shared state) unless <paramref name="EveryReplica"/>, which
/// gives every replica a group of its own (for state in its memory, such as a cache). Events on other channels than
/// <paramref name="Channels"/> are acknowledged unhandled.
/// </summary>
public sealed record ControlEventSubscription(string Group, bool EveryReplica, IReadOnlySet<string> Channels)
{
    public static ControlEventSubscription Shared(string group, params string[] channels) => new(group, false, channels.ToHashSet(StringComparer.Ordinal));

    public static ControlEventSubscription PerReplica(string group, params string[] channels) => new(group, true, channels.ToHashSet(StringComparer.Ordinal));
}
