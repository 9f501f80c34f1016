using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Alerts;

/// <summary>A tenant's alert deliveries, newest first, a page at a time: rows before <c>before</c> (a sequence), one more to tell whether more follow.</summary>
public sealed class AlertDeliveryLog(TenantDb db)
{
    public Task<(IReadOnlyList<AlertDelivery> Page, bool More)> PageAsync(string tenantId, long? before, int limit, CancellationToken ct) =>
        db.InTenantAsync<(IReadOnlyList<AlertDelivery>, bool)>(tenantId, async c =>
        {
            var query = c.AlertDeliveries.AsNoTracking().Where(d => d.TenantId == tenantId);
            if (before is { } b)
            {
                query = query.Where(d => d.Sequence < b);
            }
            var rows = await query.OrderByDescending(d => d.Sequence).Take(limit + 1).ToListAsync(ct);
            return (rows.Take(limit).ToList(), rows.Count > limit);
        }, ct);
}
