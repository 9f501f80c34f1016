using System.Security.Cryptography;
using AgentCloud.ServiceDefaults.Contracts;
using StackExchange.Redis;

namespace AgentCloud.Tools.Platform;

/// <summary>
/// Meters each executed tool call on the <c>usage-events</c> stream as kind <c>tool</c>: one event a call (the rollup's
/// events are the calls) with the seconds it ran, for the UsageAggregator to price and show beside tokens and sandbox-seconds.
/// </summary>
public sealed class ToolUsage(IConnectionMultiplexer redis, ILogger<ToolUsage> logger)
{
    public async Task MeterAsync(string tenantId, string principal, string? runId, string tool, DateTimeOffset startedAt, TimeSpan duration, string status)
    {
        var e = new UsageEvent
        {
            EventId = "tool_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            TenantId = tenantId,
            Principal = principal,
            RunId = runId,
            Kind = UsageEvent.ToolKind,
            Resource = "tool:" + tool,
            // The ledger has one seconds column: for kind tool it holds the seconds the tool ran.
            SandboxSeconds = Math.Round(duration.TotalSeconds, 6),
            StartedAt = startedAt,
            DurationMs = (long)duration.TotalMilliseconds,
            Status = status,
        };
        try
        {
            await redis.GetDatabase().StreamAddAsync(UsageEvent.StreamName, [.. e.ToStreamFields().Select(f => new NameValueEntry(f.Key, f.Value))]);
        }
        catch (RedisException ex)
        {
            logger.LogError(ex, "Usage of tool {Tool} by tenant {TenantId} could not be metered", tool, tenantId);
        }
    }
}
