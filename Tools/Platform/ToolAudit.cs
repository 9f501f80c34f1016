using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Outbox;

namespace AgentCloud.Tools.Platform;

/// <summary>
/// Records every tool call in the tenant's hash-chained audit trail through the <c>platform-audit</c> stream: the
/// tool, the outcome, the duration and a SHA-256 of the arguments (never the arguments, which may hold personal data).
/// </summary>
public sealed class ToolAudit(StreamOutbox outbox, TimeProvider time)
{
    public const string Actor = "tools:gateway";

    public async Task CalledAsync(string tenantId, string principal, string? runId, string tool, string outcome, TimeSpan duration, string argumentsJson)
    {
        var eventId = "tool_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var data = JsonSerializer.Serialize(new
        {
            eventId, tool = Clip(tool), outcome, durationMs = (long)duration.TotalMilliseconds, principal = Clip(principal), runId,
            argumentsSha256 = HashOf(argumentsJson), at = time.GetUtcNow(),
        }, JsonSerializerOptions.Web);
        var entry = new PlatformAuditEntry(eventId, tenantId, Actor, PlatformAuditEntry.ToolCalled, data);
        // Through the shared outbox: an entry Redis does not take is spooled and replayed under its event id.
        await outbox.AddAsync(PlatformAuditEntry.StreamName, entry.ToStreamFields());
    }

    public static string HashOf(string argumentsJson) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(argumentsJson)));

    private static string Clip(string s) => s.Length > 200 ? s[..200] : s;
}
