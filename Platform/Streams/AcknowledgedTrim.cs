using StackExchange.Redis;
using System.Globalization;

namespace AgentCloud.Platform.Streams;

/// <summary>
/// Trims a Redis stream of the entries every consumer group has both read and acknowledged, so a stream that is
/// consumed stays bounded while nothing a group still needs (unread, or pending after a consumer crashed) is lost.
/// A stream without groups is left alone: no one has said what it no longer needs.
/// </summary>
public static class AcknowledgedTrim
{
    /// <summary>The id below which every group is done with the stream, or null when nothing may be trimmed.</summary>
    public static async Task<RedisValue?> SafeMinIdAsync(IDatabase db, RedisKey stream)
    {
        if (!await db.KeyExistsAsync(stream))
        {
            return null;
        }
        var groups = await db.StreamGroupInfoAsync(stream);
        if (groups.Length == 0)
        {
            return null;
        }
        StreamId? lowest = null;
        foreach (var group in groups)
        {
            // A pending entry is read but not acknowledged: keep it. Otherwise everything up to the last delivered is done.
            var keepFrom = group.PendingMessageCount > 0
                ? StreamId.Parse((await db.StreamPendingAsync(stream, group.Name)).LowestPendingMessageId)
                : StreamId.Parse(group.LastDeliveredId).Next();
            if (lowest is null || keepFrom.CompareTo(lowest.Value) < 0)
            {
                lowest = keepFrom;
            }
        }
        return lowest?.ToString();
    }

    /// <summary>Deletes the entries every group is done with; returns how many went.</summary>
    public static async Task<long> TrimAsync(IDatabase db, RedisKey stream)
    {
        var minId = await SafeMinIdAsync(db, stream);
        return minId is { } id ? await db.StreamTrimByMinIdAsync(stream, id) : 0;
    }

    /// <summary>A stream entry id, <c>ms-seq</c>, ordered as Redis orders them.</summary>
    private readonly record struct StreamId(ulong Ms, ulong Seq) : IComparable<StreamId>
    {
        public static StreamId Parse(string? id)
        {
            if (string.IsNullOrEmpty(id))
            {
                return new StreamId(0, 0);
            }
            var dash = id.IndexOf('-');
            return dash < 0 ? new StreamId(ulong.Parse(id, CultureInfo.InvariantCulture), 0) : new StreamId(ulong.Parse(id[..dash], CultureInfo.InvariantCulture), ulong.Parse(id[(dash + 1)..], CultureInfo.InvariantCulture));
        }

        public StreamId Next() => Seq == ulong.MaxValue ? new StreamId(Ms + 1, 0) : this with { Seq = Seq + 1 };

        public int CompareTo(StreamId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

        public override string ToString() => $"{Ms}-{Seq}";
    }
}
