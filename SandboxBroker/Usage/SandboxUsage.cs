using AgentCloud.Platform.Outbox;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.SandboxBroker.Usage;

/// <summary>
/// Emits sandbox seconds to the usage stream, one event per lease, when the lease ends. When Redis is down the
/// event waits in the outbox's spool and is added later under the same event id, so it is neither lost nor counted twice.
/// </summary>
public sealed class SandboxUsage(StreamOutbox outbox, ILogger<SandboxUsage> logger)
{
    public static string EventIdOf(string sandboxId) => $"sandbox:{sandboxId}";

    public async Task EmitAsync(Sandboxes.Sandbox sandbox, DateTimeOffset endedAt, string status)
    {
        var held = endedAt - sandbox.CreatedAt;
        var usage = new UsageEvent
        {
            EventId = EventIdOf(sandbox.Id),
            TenantId = sandbox.TenantId,
            Principal = sandbox.Principal,
            RunId = sandbox.RunId,
            Kind = "sandbox",
            Resource = $"sandbox:{sandbox.Isolation}",
            Placement = sandbox.Pool,
            SandboxSeconds = Math.Max(0, held.TotalSeconds),
            StartedAt = sandbox.CreatedAt,
            DurationMs = (long)Math.Max(0, held.TotalMilliseconds),
            Status = status,
        };
        try
        {
            await outbox.AddAsync(UsageEvent.StreamName, usage.ToStreamFields());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogCritical(e, "Usage event {EventId} for tenant {TenantId} could be neither added nor spooled: {Seconds} sandbox seconds are lost",
                usage.EventId, usage.TenantId, usage.SandboxSeconds);
        }
    }
}
