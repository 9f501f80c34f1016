using System.Collections.Concurrent;

namespace AgentCloud.InferenceRouter.Quota;

/// <summary>
/// This router's stand-in for the shared ledger while Redis is away, for tenants whose policy fails open: calls are
/// held against the same budgets counted locally, and what they really used (and any settle or release Redis did
/// not take) waits here until <see cref="LedgerReconciler"/> books it into Redis, under the reservation's own id so
/// it is booked once. Local counts start from zero, so while Redis is away each replica enforces the budgets alone.
/// </summary>
public sealed class ProvisionalLedger(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _taken = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<PendingSettle> _pending = new();

    /// <summary>A settle Redis has still to take: the reservation (provisional or a Redis hold) and what the call spent.</summary>
    public sealed record PendingSettle(TokenReservation Reservation, CallSpend Actual);

    public int PendingCount => _pending.Count;

    /// <summary>What this router holds or has used locally against a budget (in its unit) and not yet booked into Redis.</summary>
    public long TakenLocally(string scopeKey)
    {
        lock (_gate)
        {
            return _taken.GetValueOrDefault(scopeKey);
        }
    }

    public ReserveResult Reserve(IReadOnlyList<QuotaScope> scopes, CallSpend worstCase, TimeSpan ttl, string tenantId = "")
    {
        var now = time.GetUtcNow();
        var amounts = scopes.Select(s => s.AmountOf(worstCase)).ToArray();
        lock (_gate)
        {
            for (var i = 0; i < scopes.Count; i++)
            {
                var taken = _taken.GetValueOrDefault(scopes[i].Key);
                if (taken + amounts[i] > scopes[i].Limit)
                {
                    return new ReserveResult(null, scopes[i], Math.Max(0, scopes[i].Limit - taken), TokenLedger.RetryAfter(scopes[i], now));
                }
            }
            for (var i = 0; i < scopes.Count; i++)
            {
                _taken[scopes[i].Key] = _taken.GetValueOrDefault(scopes[i].Key) + amounts[i];
            }
            var headline = TokenLedger.HeadlineScope(scopes);
            var remaining = headline >= 0 ? scopes[headline].Limit - _taken[scopes[headline].Key] : long.MaxValue;
            var reservation = new TokenReservation(Guid.NewGuid().ToString("N"), scopes, amounts, now + ttl) { Provisional = true, TenantId = tenantId, WorstCase = worstCase };
            return new ReserveResult(reservation, null, remaining, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// Keeps a settle for Redis: a provisional call's real usage (its local hold becomes that usage), or a Redis
    /// hold's settle or release that Redis did not take in time (counted locally until it is booked).
    /// </summary>
    public void Defer(TokenReservation reservation, CallSpend actual)
    {
        lock (_gate)
        {
            for (var i = 0; i < reservation.Scopes.Count; i++)
            {
                var scope = reservation.Scopes[i];
                var delta = reservation.Provisional ? scope.AmountOf(actual) - reservation.Amounts[i] : scope.AmountOf(actual);
                _taken[scope.Key] = _taken.GetValueOrDefault(scope.Key) + delta;
            }
        }
        _pending.Enqueue(new PendingSettle(reservation, actual));
    }

    public bool TryPeek(out PendingSettle? pending) => _pending.TryPeek(out pending);

    /// <summary>Redis has booked the oldest pending settle: it no longer counts locally.</summary>
    public void Booked(PendingSettle pending)
    {
        if (!_pending.TryDequeue(out var head) || !ReferenceEquals(head, pending))
        {
            throw new InvalidOperationException("Pending settles are booked in order, by the reconciler alone.");
        }
        lock (_gate)
        {
            foreach (var scope in pending.Reservation.Scopes)
            {
                var left = _taken.GetValueOrDefault(scope.Key) - scope.AmountOf(pending.Actual);
                if (left <= 0)
                {
                    _taken.Remove(scope.Key);
                }
                else
                {
                    _taken[scope.Key] = left;
                }
            }
        }
    }
}
