using AgentCloud.InferenceRouter.Quota;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// Ends a call's holds exactly once: the token reservation is settled to the weighted tokens really used (nothing
/// when the call never ran) and the endpoint slot passes to the next call, charged with the real cost.
/// </summary>
public sealed class CallSettlement(TokenLedger ledger, ILogger<CallSettlement> logger)
{
    public Task ReleaseAsync(InferenceCall call) => SettleAsync(call, 0);

    /// <summary>Settles to the weighted tokens of the call's usage event (counted once, by the recorder).</summary>
    public async Task SettleAsync(InferenceCall call, long weighted)
    {
        call.Lease?.Complete(weighted);
        call.Lease = null;
        if (call.Reservation is not { } reservation)
        {
            return;
        }
        call.Reservation = null;
        try
        {
            await ledger.SettleAsync(reservation, weighted);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            // The hold expires by itself; the tokens used are in the usage event, which is the record.
            logger.LogWarning(e, "Could not settle a token reservation for tenant {TenantId}", call.Context.TenantId);
        }
    }
}
