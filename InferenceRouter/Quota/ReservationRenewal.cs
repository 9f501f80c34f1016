using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Quota;

/// <summary>
/// Keeps a running call's token hold alive: at half the hold's lifetime it moves the expiry on, so a stream longer
/// than the hold cannot slip out of the ledger while it runs. Dispose it when the call ends (before settling).
/// </summary>
/// <remarks>
/// A timer callback rather than a loop awaiting a periodic timer: most calls end long before the first tick, and
/// stopping a loop means cancelling it, which costs every call an exception; disposing a timer costs nothing.
/// </remarks>
public sealed class ReservationRenewal : IAsyncDisposable
{
    private readonly TokenLedger _ledger;
    private readonly TokenReservation _reservation;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _deadline;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private Task _renewing = Task.CompletedTask;
    private bool _stopped;

    public ReservationRenewal(TokenLedger ledger, TokenReservation reservation, TimeSpan ttl, TimeSpan deadline, TimeProvider time, ILogger logger)
    {
        _ledger = ledger;
        _reservation = reservation;
        _ttl = ttl;
        _deadline = deadline;
        _time = time;
        _logger = logger;
        _timer = time.CreateTimer(static state => ((ReservationRenewal)state!).Tick(), this, ttl / 2, ttl / 2);
    }

    private void Tick()
    {
        lock (_gate)
        {
            // One renewal at a time: a tick that finds the last one still waiting on Redis lets it finish.
            if (_stopped || !_renewing.IsCompleted)
            {
                return;
            }
            _renewing = RenewAsync();
        }
    }

    private async Task RenewAsync()
    {
        try
        {
            await _ledger.RenewAsync(_reservation, _time.GetUtcNow() + _ttl).WaitAsync(_deadline, _time);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _logger.LogWarning(e, "Could not renew a token hold; retrying at the next tick");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task renewing;
        lock (_gate)
        {
            _stopped = true;
            renewing = _renewing;
        }
        await _timer.DisposeAsync();
        await renewing;
    }
}
