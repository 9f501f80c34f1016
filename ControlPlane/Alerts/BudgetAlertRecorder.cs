using System.Text.Json;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform.Contracts;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Alerts;

public enum BudgetAlertOutcome
{
    Recorded,
    AlreadyRecorded,
    Refused,
}

/// <summary>
/// Takes one budget crossing into the tenant's records, once per alert id: in one transaction, a delivery row (pending
/// when the tenant has a webhook, <c>no-webhook</c> otherwise) and an audit entry. The row's key is the alert id, so a
/// crossing seen again finds it and changes nothing.
/// </summary>
public sealed class BudgetAlertRecorder(TenantDb db, AuditLog audit, TimeProvider time)
{
    public const string AuditAction = "budget.threshold-crossed";

    /// <summary>Who the trail says acted: the router's budget accounting, which detected the crossing.</summary>
    public const string Actor = "inference-router:budgets";
    public const string EventType = "budget.threshold-crossed";
    private const int MaxAlertIdLength = 512;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Why an event cannot be a tenant's alert, or null.</summary>
    public static string? Refuse(BudgetThresholdCrossed alert) =>
        string.IsNullOrEmpty(alert.TenantId) || string.IsNullOrEmpty(alert.AlertId) || alert.AlertId.Length > MaxAlertIdLength
            ? "the alert has no tenant or alert id, or one too long"
            // The alert id names its tenant first, so one tenant's crossing can never take another's id (and be deduplicated away).
            : !alert.AlertId.StartsWith(alert.TenantId + ":", StringComparison.Ordinal) ? "the alert id does not start with its tenant id"
            : null;

    /// <summary>The exact body every delivery attempt posts.</summary>
    public static string BodyOf(BudgetThresholdCrossed alert) => JsonSerializer.Serialize(new { type = EventType, data = alert }, Json);

    public Task<(BudgetAlertOutcome Outcome, string? Reason)> RecordAsync(BudgetThresholdCrossed alert, CancellationToken ct)
    {
        if (Refuse(alert) is { } reason)
        {
            return Task.FromResult<(BudgetAlertOutcome, string?)>((BudgetAlertOutcome.Refused, reason));
        }
        return db.InTenantAsync<(BudgetAlertOutcome, string?)>(alert.TenantId, async c =>
        {
            if (!await c.Tenants.AnyAsync(t => t.Id == alert.TenantId, ct))
            {
                return (BudgetAlertOutcome.Refused, $"tenant '{alert.TenantId}' does not exist");
            }
            var state = await c.AlertWebhooks.AnyAsync(w => w.TenantId == alert.TenantId, ct) ? AlertDeliveryStates.Pending : AlertDeliveryStates.NoWebhook;
            var now = time.GetUtcNow();
            DateTimeOffset? completed = state == AlertDeliveryStates.Pending ? null : now;
            var inserted = await c.Database.ExecuteSqlAsync($"""
                INSERT INTO alert_deliveries (alert_id, tenant_id, body, state, attempts, next_attempt_at, created_at, completed_at)
                VALUES ({alert.AlertId}, {alert.TenantId}, {BodyOf(alert)}, {state}, 0, {now}, {now}, {completed})
                ON CONFLICT (alert_id) DO NOTHING
                """, ct);
            if (inserted == 0)
            {
                return (BudgetAlertOutcome.AlreadyRecorded, null);
            }
            await audit.AppendAsync(c, alert.TenantId, Actor, AuditAction, alert, ct);
            return (BudgetAlertOutcome.Recorded, null);
        }, ct);
    }
}
