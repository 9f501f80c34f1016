using AgentCloud.InferenceRouter.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Quota;

/// <summary>Books what the <see cref="ProvisionalLedger"/> kept into Redis, oldest first, as soon as Redis takes it again.</summary>
public sealed class LedgerReconciler(ProvisionalLedger provisional, TokenLedger ledger, BudgetAlerts alerts, IOptions<InferenceRouterOptions> options,
    ILogger<LedgerReconciler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LedgerReconcileInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await ReconcileAsync(stoppingToken);
        }
    }

    /// <summary>Books pending settles until Redis refuses one; returns how many were booked.</summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        var booked = 0;
        while (provisional.TryPeek(out var pending) && pending is not null)
        {
            IReadOnlyList<ThresholdCrossing> crossings;
            try
            {
                crossings = await ledger.SettleAsync(pending.Reservation, pending.Actual).WaitAsync(options.Value.LedgerDeadline, cancellationToken);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Still away; the settle script books each id once, so a late run of this attempt is harmless.
                logger.LogDebug(e, "Redis still refuses the ledger; {Count} settles wait", provisional.PendingCount);
                break;
            }
            // Published before the settle is forgotten: should publishing fail, the next pass settles again and the script
            // answers the same crossings under the same alert ids (the ControlPlane keeps one of each).
            if (crossings.Count > 0)
            {
                await alerts.PublishAsync(pending.Reservation, crossings);
            }
            provisional.Booked(pending);
            booked++;
        }
        if (booked > 0)
        {
            logger.LogInformation("Booked {Count} provisional ledger settles into Redis; {Left} left", booked, provisional.PendingCount);
        }
        return booked;
    }
}
