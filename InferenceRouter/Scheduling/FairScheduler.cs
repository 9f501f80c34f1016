using System.Diagnostics.Metrics;

namespace AgentCloud.InferenceRouter.Scheduling;

/// <summary>
/// Admits calls to one shared endpoint, a bounded number at a time, choosing who goes next by the Virtual Token
/// Counter (Sheng et al., "Fairness in Serving Large Language Models", OSDI 2024): each tenant's served weighted
/// tokens divided by its weight; the backlogged tenant with the least goes next; a tenant returning from idle is
/// lifted to the current minimum so it cannot bank credit. Within a tenant, interactive calls precede batch calls.
/// No HTTP in here: the router wraps it, and tests drive it with a fake clock.
/// </summary>
public sealed class FairScheduler
{
    private readonly object _gate = new();
    private readonly Dictionary<string, TenantState> _tenants = new(StringComparer.Ordinal);
    private readonly FairSchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly Histogram<double>? _waitMs;
    private int _inFlight;
    private int _capacity;
    private int _queued;
    private long _sequence;
    private double _lastDispatchedCounter;

    public FairScheduler(FairSchedulerOptions options, TimeProvider time, Meter? meter = null, string endpoint = "")
    {
        _options = options;
        _time = time;
        _capacity = options.MaxInFlight;
        if (meter is not null)
        {
            var tag = new KeyValuePair<string, object?>("endpoint", endpoint);
            _waitMs = meter.CreateHistogram<double>("agentcloud.router.queue.wait", "ms", "Time a call waited for a slot, per tenant");
            meter.CreateObservableGauge("agentcloud.router.queue.depth", () => QueueDepths().Select(d =>
                new Measurement<int>(d.Value, tag, new("tenant.id", d.Key))), description: "Calls waiting per tenant");
        }
    }

    public int InFlight { get { lock (_gate) { return _inFlight; } } }

    /// <summary>Calls this scheduler may have in flight now: <c>MaxInFlight</c> alone, this replica's share of it when
    /// replicas share the endpoint (<see cref="ReplicaCapacitySync"/>).</summary>
    public int Capacity { get { lock (_gate) { return _capacity; } } }

    /// <summary>Sets this replica's share of the endpoint. A smaller share admits nothing new until in-flight calls
    /// drop below it (calls are not preempted); a larger one dispatches waiting calls at once.</summary>
    public void SetCapacity(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        lock (_gate)
        {
            _capacity = Math.Min(capacity, _options.MaxInFlight);
            DispatchWaiting();
        }
    }

    /// <summary>Admits nothing more if no call is in flight or waiting, in one step so none slips in between; a stopping
    /// replica then gives its slots back. False (and unchanged) when calls remain.</summary>
    public bool TryCloseIfIdle()
    {
        lock (_gate)
        {
            if (_inFlight > 0 || _queued > 0)
            {
                return false;
            }
            _capacity = 0;
            return true;
        }
    }

    /// <summary>What this replica tells the others: calls in flight and waiting, and per tenant its weight, whether it
    /// is active here (in flight or waiting), and the weighted tokens served here so far.</summary>
    public SchedulerSnapshot Snapshot()
    {
        lock (_gate)
        {
            var tenants = new Dictionary<string, TenantSnapshot>(_tenants.Count, StringComparer.Ordinal);
            foreach (var (id, t) in _tenants)
            {
                tenants[id] = new TenantSnapshot(t.Weight, t.InFlight + t.Queued > 0, t.Served);
            }
            return new SchedulerSnapshot(_inFlight, _queued, _capacity, tenants);
        }
    }

    /// <summary>
    /// Adds what other replicas served each tenant (weighted tokens, cumulative) to its virtual token counter, so a
    /// tenant busy on another replica does not look idle here. Only the growth since the last call is added. The first
    /// value seen for a tenant new here, or back here from idle, is only a baseline: its history elsewhere is not
    /// charged (the lift on return already places it). A total that went down (Redis lost it) becomes the new baseline.
    /// </summary>
    public void ApplyRemoteService(IReadOnlyDictionary<string, double> servedElsewhere)
    {
        lock (_gate)
        {
            foreach (var (id, served) in servedElsewhere)
            {
                if (!_tenants.TryGetValue(id, out var t))
                {
                    continue;
                }
                if (!t.RemoteBaselined || served < t.ServedElsewhere)
                {
                    t.RemoteBaselined = true;
                }
                else
                {
                    t.Counter += (served - t.ServedElsewhere) / t.Weight;
                }
                t.ServedElsewhere = served;
            }
        }
    }

    /// <summary>Waits for a slot. Throws <see cref="SchedulerRejectedException"/> when the queue is full or the wait expires.</summary>
    public async ValueTask<SchedulerLease> AcquireAsync(SchedulingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.Weight);
        Waiter waiter;
        lock (_gate)
        {
            var tenant = Tenant(request.TenantId);
            tenant.Weight = request.Weight;
            if (tenant.Queued == 0)
            {
                if (tenant.InFlight == 0)
                {
                    tenant.RemoteBaselined = false; // back from idle: what it was served elsewhere meanwhile is not charged
                }
                LiftReturningTenant(tenant);
            }
            if (_queued == 0 && MayStart(tenant))
            {
                return Dispatch(tenant, request, _time.GetUtcNow());
            }
            if (tenant.Queued >= _options.MaxQueuedPerTenant || _queued >= _options.MaxQueuedTotal)
            {
                throw new SchedulerRejectedException(SchedulerRejection.QueueFull, TimeSpan.FromSeconds(1),
                    $"The endpoint's queue is full ({tenant.Queued} of this tenant's calls waiting); retry shortly.");
            }
            waiter = new Waiter(request, tenant, _sequence++, _time.GetUtcNow());
            tenant.Enqueue(waiter);
            _queued++;
            // Others may be waiting only because their tenants hold every unreserved slot; this tenant may fit a reserved one.
            DispatchWaiting();
        }

        using var deadline = new CancellationTokenSource(_options.MaxWait, _time);
        await using var onDeadline = deadline.Token.Register(() => Abandon(waiter, new SchedulerRejectedException(
            SchedulerRejection.WaitExpired, TimeSpan.FromSeconds(2), $"The call waited {_options.MaxWait.TotalSeconds:0.#} s for a slot; retry shortly.")));
        await using var onCancel = cancellationToken.Register(() => Abandon(waiter, new OperationCanceledException(cancellationToken)));
        return await waiter.Completion.Task;
    }

    /// <summary>Corrects the tenant's counter to the call's real cost and hands the slot to the next call.</summary>
    internal void Release(SchedulerLease lease, double actualCost)
    {
        lock (_gate)
        {
            var tenant = Tenant(lease.TenantId);
            tenant.Counter += (actualCost - lease.ChargedCost) / tenant.Weight;
            tenant.Served += actualCost;
            tenant.InFlight--;
            _inFlight--;
            DispatchWaiting();
        }
    }

    /// <summary>Weighted tokens served per tenant so far (for tests, metrics and the benchmark's fairness index).</summary>
    public IReadOnlyDictionary<string, double> ServedByTenant()
    {
        lock (_gate)
        {
            return _tenants.ToDictionary(t => t.Key, t => t.Value.Served);
        }
    }

    public IReadOnlyDictionary<string, int> QueueDepths()
    {
        lock (_gate)
        {
            return _tenants.Where(t => t.Value.Queued > 0).ToDictionary(t => t.Key, t => t.Value.Queued);
        }
    }

    private void Abandon(Waiter waiter, Exception reason)
    {
        lock (_gate)
        {
            if (!waiter.Tenant.Remove(waiter))
            {
                return; // already dispatched
            }
            _queued--;
        }
        waiter.Completion.TrySetException(reason);
    }

    private void DispatchWaiting()
    {
        while (_inFlight < _capacity && _queued > 0)
        {
            var next = _options.Policy == SchedulingPolicy.Fair ? NextFair() : NextFifo();
            if (next is null)
            {
                return; // only reserved slots are free, and every waiting tenant already has a call in flight
            }
            next.Tenant.Remove(next);
            _queued--;
            var lease = Dispatch(next.Tenant, next.Request, next.EnqueuedAt);
            if (!next.Completion.TrySetResult(lease))
            {
                Release(lease, 0);
            }
        }
    }

    private SchedulerLease Dispatch(TenantState tenant, SchedulingRequest request, DateTimeOffset enqueuedAt)
    {
        _lastDispatchedCounter = tenant.Counter;
        tenant.Counter += request.EstimatedCost / tenant.Weight;
        tenant.InFlight++;
        _inFlight++;
        var waited = _time.GetUtcNow() - enqueuedAt;
        _waitMs?.Record(waited.TotalMilliseconds, new KeyValuePair<string, object?>("tenant.id", request.TenantId));
        return new SchedulerLease(this, request.TenantId, request.EstimatedCost, waited);
    }

    /// <summary>The backlogged tenant with the least normalised service; ties go to the tenant with less waiting
    /// (a light tenant lifted to a heavy one's counter goes first), then to the earliest call.</summary>
    /// <remarks>Loops rather than LINQ: this runs under the lock for every queued call, and a sort per dispatch allocated.</remarks>
    private Waiter? NextFair()
    {
        TenantState? best = null;
        foreach (var t in _tenants.Values)
        {
            if (t.Queued > 0 && MayStart(t) && (best is null || Precedes(t, best)))
            {
                best = t;
            }
        }
        return best?.Head;
    }

    private static bool Precedes(TenantState a, TenantState b) =>
        a.Counter != b.Counter ? a.Counter < b.Counter
        : a.Queued != b.Queued ? a.Queued < b.Queued
        : a.Head!.Sequence < b.Head!.Sequence;

    private Waiter? NextFifo()
    {
        Waiter? oldest = null;
        foreach (var t in _tenants.Values)
        {
            if (t.Queued > 0 && MayStart(t) && t.Oldest is { } w && (oldest is null || w.Sequence < oldest.Sequence))
            {
                oldest = w;
            }
        }
        return oldest;
    }

    /// <summary>Whether a call of this tenant may take a free slot now: any free slot for a tenant with nothing in
    /// flight, only an unreserved one for the rest (under the fair policy; FIFO, the naive baseline, reserves none).</summary>
    private bool MayStart(TenantState tenant)
    {
        if (_inFlight >= _capacity)
        {
            return false;
        }
        var reserved = _options.Policy == SchedulingPolicy.Fair ? Math.Max(0, Math.Min(_options.ReservedSlots, _capacity - 1)) : 0;
        return tenant.InFlight == 0 || _inFlight < _capacity - reserved;
    }

    /// <summary>VTC's rule for a tenant with nothing queued: lift its counter to the backlogged minimum (or, with
    /// no backlog, to the last dispatched tenant's) so idleness earns no credit to spend later.</summary>
    private void LiftReturningTenant(TenantState tenant)
    {
        var backlogged = false;
        var floor = 0d;
        foreach (var t in _tenants.Values)
        {
            if (t.Queued > 0 && !ReferenceEquals(t, tenant) && (!backlogged || t.Counter < floor))
            {
                (backlogged, floor) = (true, t.Counter);
            }
        }
        tenant.Counter = Math.Max(tenant.Counter, backlogged ? floor : _lastDispatchedCounter);
    }

    private TenantState Tenant(string id)
    {
        if (!_tenants.TryGetValue(id, out var state))
        {
            state = new TenantState();
            _tenants[id] = state;
        }
        return state;
    }

    private sealed class TenantState
    {
        private readonly LinkedList<Waiter> _interactive = new();
        private readonly LinkedList<Waiter> _batch = new();

        public double Weight { get; set; } = 1;
        public double Counter { get; set; }
        public double Served { get; set; }
        public double ServedElsewhere { get; set; }

        /// <summary>Whether <see cref="ServedElsewhere"/> holds a value seen while this tenant was active here.</summary>
        public bool RemoteBaselined { get; set; }
        public int InFlight { get; set; }
        public int Queued => _interactive.Count + _batch.Count;

        /// <summary>The call this tenant would send next: interactive before batch.</summary>
        public Waiter? Head => _interactive.First?.Value ?? _batch.First?.Value;

        public Waiter? Oldest =>
            (_interactive.First?.Value, _batch.First?.Value) switch
            {
                (null, var b) => b,
                (var i, null) => i,
                (var i, var b) => i!.Sequence < b!.Sequence ? i : b,
            };

        public void Enqueue(Waiter w) => w.Node = (w.Request.Lane == Lane.Interactive ? _interactive : _batch).AddLast(w);

        public bool Remove(Waiter w)
        {
            // Only this tenant's own queues: a waiter of another tenant is never unlinked through this one.
            if (w.Node?.List is not { } list || (list != _interactive && list != _batch))
            {
                return false;
            }
            list.Remove(w.Node);
            w.Node = null;
            return true;
        }
    }

    private sealed class Waiter(SchedulingRequest request, TenantState tenant, long sequence, DateTimeOffset enqueuedAt)
    {
        public SchedulingRequest Request { get; } = request;
        public TenantState Tenant { get; } = tenant;
        public long Sequence { get; } = sequence;
        public DateTimeOffset EnqueuedAt { get; } = enqueuedAt;
        public LinkedListNode<Waiter>? Node { get; set; }
        public TaskCompletionSource<SchedulerLease> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
