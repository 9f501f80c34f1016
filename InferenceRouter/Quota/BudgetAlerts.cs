using AgentCloud.Platform.Budgets;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Outbox;

namespace AgentCloud.InferenceRouter.Quota;

/// <summary>
/// Turns the threshold crossings a settle reports into <see cref="BudgetThresholdCrossed"/> entries on their stream,
/// through the stream outbox: a Redis that pauses right after the settle gets the entry from the spool when it returns.
/// The settle script reports each crossing once per period, so each becomes exactly one entry; only a settle retried
/// after its answer was lost reports it again, under the same <see cref="BudgetThresholdCrossed.AlertId"/>, which the
/// consumer deduplicates on.
/// </summary>
public sealed class BudgetAlerts(StreamOutbox outbox, TimeProvider time, ILogger<BudgetAlerts> logger)
{
    public async Task PublishAsync(TokenReservation reservation, IReadOnlyList<ThresholdCrossing> crossings)
    {
        foreach (var crossing in crossings)
        {
            var alert = ToEvent(reservation.TenantId, crossing, time.GetUtcNow());
            await outbox.AddAsync(BudgetThresholdCrossed.StreamName, [new(BudgetThresholdCrossed.EncodedField, alert.Encode())]);
            logger.LogInformation("Tenant {TenantId}'s {Budget} crossed {Threshold}%", alert.TenantId, alert.Budget, alert.ThresholdPercent);
        }
    }

    public static BudgetThresholdCrossed ToEvent(string tenantId, ThresholdCrossing crossing, DateTimeOffset at)
    {
        var scope = crossing.Scope;
        var dollars = scope.Unit == QuotaUnit.Microdollars;
        var period = scope.Period ?? BudgetPeriod.Month;
        return new BudgetThresholdCrossed
        {
            AlertId = $"{tenantId}:{scope.Key}:{crossing.ThresholdPercent}",
            TenantId = tenantId,
            Level = scope.Level.ToString().ToLowerInvariant(),
            Budget = scope.Name,
            ProjectId = scope.Level == QuotaLevel.Project ? scope.Subject : null,
            KeyId = scope.Level == QuotaLevel.Key ? scope.Subject : null,
            Unit = dollars ? "usd" : "tokens",
            Period = period.Name(),
            PeriodStart = scope.WindowStart,
            PeriodEnd = scope.WindowEnd,
            ThresholdPercent = crossing.ThresholdPercent,
            Limit = dollars ? PeriodBudgets.ToDollars(scope.Limit) : scope.Limit,
            Used = dollars ? PeriodBudgets.ToDollars(crossing.UsedAfter) : crossing.UsedAfter,
            At = at,
        };
    }
}
