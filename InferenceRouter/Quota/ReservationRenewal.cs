using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Quota;

/// <summary>
/// Keeps a running call's token hold alive: at half the hold's lifetime it moves the expiry on, so a stream longer
/// than the hold cannot slip out of the ledger while it runs. Dispose it when the call ends (before settling).
/// </summary>
public sealed class ReservationRenewal : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ReservationRenewal(TokenLedger ledger, TokenReservation reservation, TimeSpan ttl, TimeSpan deadline, TimeProvider time, ILogger logger)
    {
        _loop = RenewAsync(ledger, reservation, ttl, deadline, time, logger, _stop.Token);
    }

    private static async Task RenewAsync(TokenLedger ledger, TokenReservation reservation, TimeSpan ttl, TimeSpan deadline, TimeProvider time,
        ILogger logger, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(ttl / 2, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await ledger.RenewAsync(reservation, time.GetUtcNow() + ttl).WaitAsync(deadline, stop);
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    logger.LogWarning(e, "Could not renew a token hold; retrying at the next tick");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
