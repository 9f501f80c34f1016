using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Quota;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// Ends a call's holds exactly once: the reservation is settled to what the call really spent (weighted tokens, and
/// micro-dollars at the model's price; nothing when the call never ran) and the endpoint slot passes to the next call,
/// charged with the real cost. A settle Redis does not take within the ledger deadline (or a provisional hold) waits in
/// the provisional ledger, so the answer never waits on a paused Redis and the spend is still booked when it returns.
/// A settle that takes a budget across an alert threshold raises the alert.
/// </summary>
public sealed class CallSettlement(TokenLedger ledger, ProvisionalLedger provisional, BudgetAlerts alerts, IOptions<InferenceRouterOptions> options,
    ILogger<CallSettlement> logger)
{
    public Task ReleaseAsync(InferenceCall call) => SettleAsync(call, null);

    /// <summary>Settles to the call's usage event (counted once, by the recorder); null: the call spent nothing.</summary>
    public async Task SettleAsync(InferenceCall call, UsageEvent? usage)
    {
        var spent = usage is null ? CallSpend.None : call.Spend(usage.InputTokens, usage.CachedInputTokens, usage.OutputTokens, usage.WeightedTokens);
        call.Placed?.Dispose();
        call.Placed = null;
        call.Lease?.Complete(spent.WeightedTokens);
        call.Lease = null;
        if (call.Reservation is not { } reservation)
        {
            return;
        }
        call.Reservation = null;
        if (reservation.Provisional)
        {
            provisional.Defer(reservation, spent);
            return;
        }
        IReadOnlyList<ThresholdCrossing> crossings;
        try
        {
            crossings = await ledger.SettleAsync(reservation, spent).WaitAsync(options.Value.LedgerDeadline);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Booked once either way: the settle script skips an id it has settled, should this attempt still run.
            logger.LogWarning(e, "Could not settle a token reservation for tenant {TenantId}; kept for the reconciler", call.Context.TenantId);
            provisional.Defer(reservation, spent);
            return;
        }
        if (crossings.Count > 0)
        {
            await alerts.PublishAsync(reservation, crossings);
        }
    }
}
