using System.Text.Json;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// Appends to and verifies a tenant's hash-chained audit trail. The service's database role may only insert
/// and read audit events; appends for one tenant are serialised by a transaction-scoped advisory lock.
/// </summary>
public sealed class AuditLog(TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Adds an event inside the caller's transaction (so it commits or rolls back with the change it records).</summary>
    public async Task AppendAsync(ControlPlaneDbContext db, string tenantId, string actor, string action, object detail, CancellationToken ct)
    {
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"audit:" + tenantId}, 0))", ct);
        var head = await db.AuditHeads.SingleOrDefaultAsync(h => h.TenantId == tenantId, ct);
        var previous = head?.Hash ?? AuditChain.Genesis;
        var sequence = (head?.Sequence ?? 0) + 1;
        var at = AuditChain.Normalize(time.GetUtcNow());
        var text = JsonSerializer.Serialize(detail, Json);
        var hash = AuditChain.HashOf(previous, tenantId, sequence, at, actor, action, text);
        db.AuditEvents.Add(new AuditEvent
        {
            TenantId = tenantId, Sequence = sequence, At = at, Actor = actor, Action = action, Detail = text,
            PreviousHash = previous, Hash = hash,
        });
        if (head is null)
        {
            db.AuditHeads.Add(new AuditHead { TenantId = tenantId, Sequence = sequence, Hash = hash });
        }
        else
        {
            head.Sequence = sequence;
            head.Hash = hash;
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// At most <paramref name="limit"/> of a tenant's events after sequence <paramref name="after"/>, in order, with the
    /// verdict on their links (to the event before the page, and to the head on the last page) and whether more follow;
    /// null when the tenant has no trail. Reads one page, never the whole trail.
    /// </summary>
    public static async Task<(IReadOnlyList<AuditLink> Events, AuditVerification Verification, bool More)?> ReadPageAsync(
        ControlPlaneDbContext db, string tenantId, long after, int limit, CancellationToken ct)
    {
        var rows = await db.AuditEvents.AsNoTracking().Where(e => e.TenantId == tenantId && e.Sequence >= after)
            .OrderBy(e => e.Sequence).Take(limit + 2).ToListAsync(ct);
        var head = await db.AuditHeads.AsNoTracking().SingleOrDefaultAsync(h => h.TenantId == tenantId, ct);
        if (rows.Count == 0 && head is null)
        {
            return null;
        }
        var links = rows.Select(e => new AuditLink(e.TenantId, e.Sequence, e.At, e.Actor, e.Action, e.Detail, e.PreviousHash, e.Hash)).ToList();
        var anchor = after == 0 ? null : links.FirstOrDefault(l => l.Sequence == after);
        if (after > 0 && anchor is null)
        {
            return ([], new AuditVerification(false, after, $"event {after} (the cursor) is missing"), false);
        }
        var page = links.Where(l => l.Sequence > after).ToList();
        var more = page.Count > limit;
        page = page.Take(limit).ToList();
        var verdict = AuditChain.Verify(page, more || head is null ? null : (head.Sequence, head.Hash), after, anchor?.Hash ?? AuditChain.Genesis);
        return (page, verdict, more);
    }

    /// <summary>A tenant's events in order with the verdict on their chain; null when the tenant has no trail.</summary>
    public static async Task<(IReadOnlyList<AuditLink> Events, AuditVerification Verification)?> ReadAsync(ControlPlaneDbContext db, string tenantId, CancellationToken ct)
    {
        var events = await db.AuditEvents.AsNoTracking().Where(e => e.TenantId == tenantId).OrderBy(e => e.Sequence).ToListAsync(ct);
        var head = await db.AuditHeads.AsNoTracking().SingleOrDefaultAsync(h => h.TenantId == tenantId, ct);
        if (events.Count == 0 && head is null)
        {
            return null;
        }
        var links = events.Select(e => new AuditLink(e.TenantId, e.Sequence, e.At, e.Actor, e.Action, e.Detail, e.PreviousHash, e.Hash)).ToList();
        return (links, AuditChain.Verify(links, head is null ? null : (head.Sequence, head.Hash)));
    }
}
