using AgentCloud.SandboxBroker.Leases;
using AgentCloud.Platform.Outbox;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.SandboxBroker.Usage;

/// <summary>
/// Emits sandbox seconds to the usage stream, one event per lease, when the lease ends (or, after a crash, when the
/// restarted broker recovers it from its journal). When Redis is down the event waits in the outbox's spool and is
/// added later under the same event id, the lease's, so it is neither lost nor counted twice.
/// </summary>
public sealed class SandboxUsage(StreamOutbox outbox, ILogger<SandboxUsage> logger)
{
    public static string EventIdOf(string sandboxId) => $"sandbox:{sandboxId}";

    /// <summary>A resumed sandbox's later leases each have their own event, so none is taken for a duplicate of the first.</summary>
    public static string EventIdOf(string sandboxId, int segment) => segment == 0 ? EventIdOf(sandboxId) : $"sandbox:{sandboxId}:{segment}";

    public Task<bool> EmitAsync(Sandboxes.Sandbox sandbox, DateTimeOffset endedAt, string status) =>
        EmitAsync(sandbox.ToLeaseRecord(), endedAt, status);

    /// <summary>True once the event is added or spooled (durable either way); false when it could be neither.</summary>
    public async Task<bool> EmitAsync(LeaseRecord lease, DateTimeOffset endedAt, string status)
    {
        var held = endedAt - lease.CreatedAt;
        var usage = new UsageEvent
        {
            EventId = EventIdOf(lease.SandboxId, lease.Segment),
            TenantId = lease.TenantId,
            Principal = lease.Principal,
            RunId = lease.RunId,
            ProjectId = lease.ProjectId,
            Kind = "sandbox",
            Resource = $"sandbox:{lease.Isolation}",
            Placement = lease.Pool,
            SandboxSeconds = Math.Max(0, held.TotalSeconds),
            StartedAt = lease.CreatedAt,
            DurationMs = (long)Math.Max(0, held.TotalMilliseconds),
            Status = status,
        };
        try
        {
            await outbox.AddAsync(UsageEvent.StreamName, usage.ToStreamFields());
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogCritical(e, "Usage event {EventId} for tenant {TenantId} could be neither added nor spooled; its lease stays in the journal",
                usage.EventId, usage.TenantId);
            return false;
        }
    }
}
