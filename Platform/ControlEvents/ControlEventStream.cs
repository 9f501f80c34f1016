using AgentCloud.Platform.Outbox;
using StackExchange.Redis;

namespace AgentCloud.Platform.ControlEvents;

/// <summary>
/// Control events (offboarding, policy change, revocation, run end) go two ways: on pub/sub, the fast path every live
/// replica hears at once, and on the durable stream <see cref="StreamName"/>, from which each service's consumer group
/// replays what it missed while it was down (<see cref="ControlEventListener"/>). Handlers are idempotent, so hearing
/// an event on both paths is harmless. The stream is trimmed once every group has acknowledged.
/// </summary>
public static class ControlEventStream
{
    public const string StreamName = "platform-control-events";
    public const string ChannelField = "channel";
    public const string MessageField = "message";

    /// <summary>A bound far above what the groups leave unacknowledged, should a group be abandoned for good.</summary>
    public const int MaxLength = 100_000;

    /// <summary>Appends the event to the stream, then publishes it; throws when Redis takes neither.</summary>
    public static async Task PublishAsync(IConnectionMultiplexer redis, string channel, string message)
    {
        await redis.GetDatabase().StreamAddAsync(StreamName, [new NameValueEntry(ChannelField, channel), new NameValueEntry(MessageField, message)],
            maxLength: MaxLength, useApproximateMaxLength: true);
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), message);
    }

    /// <summary>
    /// Appends the event through the outbox (spooled and replayed when Redis does not take it now), then publishes it
    /// on the fast path when Redis is there: for producers whose event must not be lost (a run's end).
    /// </summary>
    public static async Task PublishAsync(StreamOutbox outbox, IConnectionMultiplexer redis, string channel, string message)
    {
        if (await outbox.AddAsync(StreamName, [new(ChannelField, channel), new(MessageField, message)]))
        {
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), message);
        }
    }
}
