using System.Security.Cryptography;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Outbox;

namespace AgentCloud.SandboxBroker.Egress;

/// <summary>
/// Sends each refused egress attempt to the platform audit stream, for the ControlPlane to append to the tenant's
/// trail (the proxy has no tenant request context to call it with). Through the outbox, so Redis being down delays it only.
/// </summary>
public sealed class EgressAudit(StreamOutbox outbox, TimeProvider time, ILogger<EgressAudit> logger)
{
    public async Task DeniedAsync(string tenantId, string sandboxId, string? runId, string host, int port, string reason)
    {
        var eventId = "egress_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        // Host names come from the sandbox: clipped, so a huge name cannot make the entry too large to be recorded.
        var data = JsonSerializer.Serialize(new
        {
            eventId, host = host.Length > 255 ? host[..255] : host, port, sandboxId, runId, reason, at = time.GetUtcNow(),
        }, JsonSerializerOptions.Web);
        var entry = new PlatformAuditEntry(eventId, tenantId, "sandbox:" + sandboxId, PlatformAuditEntry.EgressDenied, data);
        try
        {
            await outbox.AddAsync(PlatformAuditEntry.StreamName, entry.ToStreamFields());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Denied egress of sandbox {SandboxId} (tenant {TenantId}) to {Host}:{Port} could not be sent for audit", sandboxId, tenantId, host, port);
        }
    }
}
