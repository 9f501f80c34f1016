using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Tests.Hosting;

/// <summary>Reads the <c>usage-events</c> stream the router writes to, as the UsageAggregator would.</summary>
public static class UsageStream
{
    public static async Task<IReadOnlyList<UsageEvent>> ForTenantAsync(IConnectionMultiplexer redis, string tenantId)
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(UsageEvent.StreamName);
        return entries
            .Select(e => UsageEvent.FromStreamFields(e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()), out _))
            .Where(e => e is not null && e.TenantId == tenantId)
            .Select(e => e!)
            .ToList();
    }

    /// <summary>Waits (bounded) until the tenant has at least <paramref name="count"/> events.</summary>
    public static async Task<IReadOnlyList<UsageEvent>> WaitForAsync(IConnectionMultiplexer redis, string tenantId, int count)
    {
        IReadOnlyList<UsageEvent> events = [];
        await LocalProcess.WaitUntilAsync(async () => (events = await ForTenantAsync(redis, tenantId)).Count >= count,
            TimeSpan.FromSeconds(15), $"{count} usage events for {tenantId}");
        return events;
    }
}
