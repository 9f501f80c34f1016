using System.Security.Cryptography;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Outbox;

namespace AgentCloud.Tools.Platform;

/// <summary>
/// Meters each executed tool call on the <c>usage-events</c> stream as kind <c>tool</c>: one event a call (the rollup's
/// events are the calls) with the seconds it ran, for the UsageAggregator to price and show beside tokens and sandbox-seconds.
/// Through the shared outbox: an event Redis does not take is spooled and replayed under its own id, never dropped.
/// </summary>
public sealed class ToolUsage(StreamOutbox outbox)
{
    public async Task MeterAsync(string tenantId, string principal, string? runId, string tool, DateTimeOffset startedAt, TimeSpan duration, string status,
        string? projectId = null)
    {
        var e = new UsageEvent
        {
            EventId = "tool_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            TenantId = tenantId,
            Principal = principal,
            RunId = runId,
            ProjectId = projectId,
            Kind = UsageEvent.ToolKind,
            Resource = "tool:" + tool,
            // The ledger has one seconds column: for kind tool it holds the seconds the tool ran.
            SandboxSeconds = Math.Round(duration.TotalSeconds, 6),
            StartedAt = startedAt,
            DurationMs = (long)duration.TotalMilliseconds,
            Status = status,
        };
        await outbox.AddAsync(UsageEvent.StreamName, e.ToStreamFields());
    }
}
