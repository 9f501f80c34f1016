using System.Text.Json;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Domain;

public enum PlatformAuditOutcome
{
    Recorded,
    AlreadyRecorded,
    UnknownTenant,
}

/// <summary>
/// Appends a platform service's audit entry (already parsed and checked by <see cref="PlatformAuditEntry.TryParse"/>) to
/// its tenant's trail, once per event id: a redelivered entry is found by its id and not appended again. Entries for
/// a tenant that does not exist, or for the wrong trail (platform actions in a tenant's, or the reverse), are refused.
/// </summary>
public sealed class PlatformAuditRecorder(TenantDb db, AuditLog audit)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<PlatformAuditOutcome> RecordAsync(PlatformAuditEntry entry, CancellationToken ct)
    {
        // The platform's own trail takes only the actions meant for it (a Gateway's refused-key counts); a tenant's, the others.
        var platformTrail = entry.TenantId == TenantContext.PlatformTenantId;
        if (platformTrail != PlatformAuditEntry.PlatformTrailActions.Contains(entry.Action))
        {
            return Task.FromResult(PlatformAuditOutcome.UnknownTenant);
        }
        return db.InTenantAsync(entry.TenantId, async ctx =>
        {
            if (!platformTrail && !await ctx.Tenants.AnyAsync(t => t.Id == entry.TenantId, ct))
            {
                return PlatformAuditOutcome.UnknownTenant;
            }
            // The same lock AppendAsync takes (re-entrant in this transaction): no second delivery can slip in between check and append.
            await ctx.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"audit:" + entry.TenantId}, 0))", ct);
            var marker = DetailPrefix(entry.EventId);
            if (await ctx.AuditEvents.AnyAsync(e => e.TenantId == entry.TenantId && e.Action == entry.Action && e.Detail.StartsWith(marker), ct))
            {
                return PlatformAuditOutcome.AlreadyRecorded;
            }
            using var data = JsonDocument.Parse(entry.Data);
            await audit.AppendAsync(ctx, entry.TenantId, entry.Actor, entry.Action, new { eventId = entry.EventId, data = data.RootElement }, ct);
            return PlatformAuditOutcome.Recorded;
        }, ct);
    }

    /// <summary>
    /// How a recorded entry's detail starts: the event id first, so the check matches only the id this recorder wrote,
    /// never an <c>eventId</c> a sender put inside its data.
    /// </summary>
    public static string DetailPrefix(string eventId) => "{\"eventId\":" + JsonSerializer.Serialize(eventId, Json) + ",";
}
