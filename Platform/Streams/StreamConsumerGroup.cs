using StackExchange.Redis;

namespace AgentCloud.Platform.Streams;

/// <summary>
/// One consumer of a Redis stream's consumer group, the one read order every stream consumer of the platform follows:
/// its own pending entries first (read before a crash or a failed batch, never acknowledged), then entries left idle in
/// a dead consumer's hands, then new ones. Entries are acknowledged by the caller once handled, so a failure anywhere
/// before leaves them to be read again; consumers deduplicate by event id.
/// </summary>
public sealed class StreamConsumerGroup(IConnectionMultiplexer redis, StreamConsumerGroupSettings settings)
{
    private bool _readOwnPending = true;
    private DateTimeOffset _nextClaim = DateTimeOffset.MinValue;

    public StreamConsumerGroupSettings Settings => settings;

    /// <summary>Creates the group at <see cref="StreamConsumerGroupSettings.StartAt"/> unless it exists (another replica or an earlier run made it).</summary>
    public async Task EnsureAsync()
    {
        try
        {
            await redis.GetDatabase().StreamCreateConsumerGroupAsync(settings.Stream, settings.Group, settings.StartAt, createStream: true);
        }
        catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>The next batch: own pending entries, else claimed ones, else new ones; empty when there is nothing to do.</summary>
    public async Task<StreamEntry[]> ReadNextAsync(DateTimeOffset now)
    {
        var db = redis.GetDatabase();
        if (_readOwnPending)
        {
            var pending = await db.StreamReadGroupAsync(settings.Stream, settings.Group, settings.Consumer, StreamPosition.Beginning, settings.BatchSize);
            if (pending.Length > 0)
            {
                return pending;
            }
            _readOwnPending = false;
        }
        if (settings.ClaimIdle is { } idle && now >= _nextClaim)
        {
            var claimed = await db.StreamAutoClaimAsync(settings.Stream, settings.Group, settings.Consumer, (long)idle.TotalMilliseconds, "0-0", settings.BatchSize);
            if (claimed.DeletedIds is { Length: > 0 } deleted)
            {
                // Trimmed before anyone handled them: only the pending entry is left to clear.
                await db.StreamAcknowledgeAsync(settings.Stream, settings.Group, deleted);
            }
            if (claimed.ClaimedEntries is { Length: > 0 } entries)
            {
                return entries;
            }
            _nextClaim = now + settings.ClaimInterval;
        }
        return await db.StreamReadGroupAsync(settings.Stream, settings.Group, settings.Consumer, StreamPosition.NewMessages, settings.BatchSize);
    }

    /// <summary>After a failure the batch in hand stays pending: read it again before anything new.</summary>
    public void Reset() => _readOwnPending = true;

    public Task<long> AcknowledgeAsync(params RedisValue[] ids) =>
        redis.GetDatabase().StreamAcknowledgeAsync(settings.Stream, settings.Group, ids);

    /// <summary>Copies a refused entry to <paramref name="deadLetterStream"/> with the reasons and its source id in front.</summary>
    public Task DeadLetterAsync(string deadLetterStream, StreamEntry entry, params NameValueEntry[] reasons)
    {
        var names = reasons.Select(r => r.Name).Append("sourceId").ToHashSet();
        var fields = new List<NameValueEntry>(reasons.Length + 1 + (entry.Values?.Length ?? 0));
        fields.AddRange(reasons);
        fields.Add(new NameValueEntry("sourceId", entry.Id));
        fields.AddRange((entry.Values ?? []).Where(v => !names.Contains(v.Name)));
        return redis.GetDatabase().StreamAddAsync(deadLetterStream, fields.ToArray());
    }

    /// <summary>Trims the stream of what every group acknowledged (<see cref="AcknowledgedTrim"/>).</summary>
    public Task<long> TrimAcknowledgedAsync() => AcknowledgedTrim.TrimAsync(redis.GetDatabase(), settings.Stream);

    /// <summary>The name of this process as a consumer: stable for its lifetime, distinct from its other replicas.</summary>
    public static string ProcessConsumerName => $"{Environment.MachineName}-{Environment.ProcessId}";
}

/// <summary>Which stream and group a <see cref="StreamConsumerGroup"/> reads, as whom, and how it claims from dead consumers.</summary>
public sealed record StreamConsumerGroupSettings(string Stream, string Group, string Consumer)
{
    /// <summary>Where a new group starts: <c>0</c> (everything, for ledgers) or <c>$</c> (from now on, for notifications).</summary>
    public RedisValue StartAt { get; init; } = StreamPosition.Beginning;

    public int BatchSize { get; init; } = 100;

    /// <summary>Entries pending this long with another consumer are claimed; null: never claim (each consumer owns its group).</summary>
    public TimeSpan? ClaimIdle { get; init; }

    /// <summary>After a claim found nothing, how long until the next attempt.</summary>
    public TimeSpan ClaimInterval { get; init; } = TimeSpan.Zero;
}
