using System.Threading.Channels;
using AgentCloud.Tests.Shared;
using StackExchange.Redis;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Collects what is published on a Redis channel, to assert that a change was announced.</summary>
public sealed class RedisMessages
{
    private readonly Channel<string> _received = Channel.CreateUnbounded<string>();

    public static async Task<RedisMessages> SubscribeAsync(RedisServerFixture redis, string channel)
    {
        var messages = new RedisMessages();
        await redis.Connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel), (_, m) => messages._received.Writer.TryWrite(m.ToString()));
        return messages;
    }

    /// <summary>The first message matching, waiting at most 10 s (a generous bound, not a timing assertion).</summary>
    public async Task<string?> NextAsync(Func<string, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var message = await _received.Reader.ReadAsync(timeout.Token);
                if (match(message)) return message;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
