using System.Globalization;
using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Ingestion;

/// <summary>Redis stream ids are <c>milliseconds-sequence</c>: the milliseconds say when the entry was added.</summary>
public static class StreamIds
{
    public static DateTimeOffset Timestamp(RedisValue id)
    {
        var s = id.ToString();
        var dash = s.IndexOf('-', StringComparison.Ordinal);
        return long.TryParse(dash < 0 ? s : s[..dash], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.UnixEpoch;
    }
}
