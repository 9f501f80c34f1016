using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Quota;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// Ends a call's holds exactly once: the token reservation is settled to the weighted tokens really used (nothing
/// when the call never ran) and the endpoint slot passes to the next call, charged with the real cost. A settle
/// Redis does not take within the ledger deadline (or a provisional hold) waits in the provisional ledger, so the
/// answer never waits on a paused Redis and the tokens are still booked when it returns.
/// </summary>
public sealed class CallSettlement(TokenLedger ledger, ProvisionalLedger provisional, IOptions<InferenceRouterOptions> options, ILogger<CallSettlement> logger)
{
    public Task ReleaseAsync(InferenceCall call) => SettleAsync(call, 0);

    /// <summary>Settles to the weighted tokens of the call's usage event (counted once, by the recorder).</summary>
    public async Task SettleAsync(InferenceCall call, long weighted)
    {
        call.Placed?.Dispose();
        call.Placed = null;
        call.Lease?.Complete(weighted);
        call.Lease = null;
        if (call.Reservation is not { } reservation)
        {
            return;
        }
        call.Reservation = null;
        if (reservation.Provisional)
        {
            provisional.Defer(reservation, weighted);
            return;
        }
        try
        {
            await ledger.SettleAsync(reservation, weighted).WaitAsync(options.Value.LedgerDeadline);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Booked once either way: the settle script skips an id it has settled, should this attempt still run.
            logger.LogWarning(e, "Could not settle a token reservation for tenant {TenantId}; kept for the reconciler", call.Context.TenantId);
            provisional.Defer(reservation, weighted);
        }
    }
}
