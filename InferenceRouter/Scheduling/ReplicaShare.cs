using AgentCloud.InferenceRouter.Extensions;

namespace AgentCloud.InferenceRouter.Scheduling;

/// <summary>Whether a replica's share of an endpoint comes from Redis or, with Redis away, from a local split.</summary>
public enum ShareMode
{
    /// <summary>No answer from Redis yet: nothing admitted until the first heartbeat answers or fails.</summary>
    Joining,
    Shared,
    LocalOnly,
}

/// <summary>
/// Keeps one endpoint's <see cref="FairScheduler"/> on this replica in step with the other replicas: each heartbeat
/// sets its capacity to the share Redis granted and adds what other replicas served each tenant to that tenant's
/// counter. Calls never wait on Redis; the price is that counters and shares lag by up to one heartbeat.
/// When Redis does not answer, the last share holds until its lease ends (the others keep it reserved until then);
/// after that the replica admits <c>MaxInFlight / ReplicasWhenRedisIsAway</c> and logs it, until Redis answers again.
/// </summary>
public sealed class ReplicaShare
{
    private readonly Dictionary<string, double> _pushed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    // Guards the lease end, the mode and the capacity set from them: the lease timer fires on another thread.
    private readonly object _leaseGate = new();
    private readonly ITimer _leaseTimer;
    private readonly string _replica;
    private readonly SharedCapacityStore _store;
    private readonly FairSchedulerOptions _limits;
    private readonly ReplicaShareOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private DateTimeOffset _leaseEnds = DateTimeOffset.MinValue;
    private int _lastLive;

    public ReplicaShare(string endpoint, string replica, FairScheduler scheduler, SharedCapacityStore store,
        FairSchedulerOptions limits, ReplicaShareOptions options, TimeProvider time, ILogger logger)
    {
        (Endpoint, Scheduler, _replica, _store, _limits, _options, _time, _logger) =
            (endpoint, scheduler, replica, store, limits, options, time, logger);
        // The lease is enforced here, not only after a failed heartbeat: once it ends the others may take our slots
        // whether or not our next heartbeat is merely slow.
        _leaseTimer = time.CreateTimer(_ => LeaseMayHaveEnded(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Endpoint { get; }

    public FairScheduler Scheduler { get; }

    public ShareMode Mode { get; private set; } = ShareMode.Joining;

    /// <summary>One heartbeat. Never throws for Redis trouble: a failure only moves the replica toward its local share.</summary>
    public async Task SyncOnceAsync(CancellationToken cancellationToken = default)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var sentAt = _time.GetUtcNow();
            var snapshot = Scheduler.Snapshot();
            var servedHere = new List<KeyValuePair<string, double>>();
            foreach (var (tenant, state) in snapshot.Tenants)
            {
                var delta = state.Served - _pushed.GetValueOrDefault(tenant);
                if (state.Active || delta != 0)
                {
                    servedHere.Add(new(tenant, delta));
                }
            }
            SharedCapacityGrant grant;
            try
            {
                grant = await _store.HeartbeatAsync(Endpoint, _replica, _options.LeaseTtl, _limits,
                    Math.Max(snapshot.Capacity, snapshot.InFlight), snapshot, servedHere).WaitAsync(_options.HeartbeatTimeout, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // Mostly RedisException or TimeoutException; anything else must not leave a joining replica with no slots either.
                // A heartbeat that timed out may still run when a frozen Redis resumes; its served tokens are then sent
                // again with the next one. That only overstates counters after an outage, never the slots held.
                Unanswered(e);
                return;
            }
            var elsewhere = new Dictionary<string, double>(grant.ServedEverywhere.Count, StringComparer.Ordinal);
            foreach (var (tenant, delta) in servedHere)
            {
                _pushed[tenant] = _pushed.GetValueOrDefault(tenant) + delta;
                elsewhere[tenant] = grant.ServedEverywhere[tenant] - _pushed[tenant];
            }
            Scheduler.ApplyRemoteService(elsewhere);
            Granted(grant, sentAt);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>On a clean stop: with nothing in flight, admit no more and give the slots back to the others now; with
    /// calls still running, keep the slots recorded as held until the lease ends, as a crash would.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            lock (_leaseGate)
            {
                _leaseTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
            if (Mode == ShareMode.Joining || !Scheduler.TryCloseIfIdle())
            {
                return;
            }
            await _store.LeaveAsync(Endpoint, _replica).WaitAsync(_options.HeartbeatTimeout, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning(e, "Endpoint {Endpoint}: could not give this replica's slots back on stopping; the others take them when its lease ends", Endpoint);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private void Granted(SharedCapacityGrant grant, DateTimeOffset sentAt)
    {
        lock (_leaseGate)
        {
            Scheduler.SetCapacity(grant.Slots);
            _leaseEnds = sentAt + _options.LeaseTtl;
            if (grant.LiveReplicas > _limits.MaxInFlight && grant.LiveReplicas != _lastLive)
            {
                _logger.LogWarning("Endpoint {Endpoint}: {Replicas} replicas share only {Max} slots, so some replicas hold none at a time (turns rotate); raise MaxInFlight or run fewer replicas",
                    Endpoint, grant.LiveReplicas, _limits.MaxInFlight);
            }
            _lastLive = grant.LiveReplicas;
            if (Mode == ShareMode.LocalOnly)
            {
                _logger.LogInformation("Endpoint {Endpoint}: Redis answers again; this replica's share is {Slots} of {Max} slots among {Replicas} replicas",
                    Endpoint, grant.Slots, _limits.MaxInFlight, grant.LiveReplicas);
            }
            Mode = ShareMode.Shared;
            // A heartbeat slower than the lease gets a lease already over: the timer then falls back at once.
            _leaseTimer.Change(Max(TimeSpan.Zero, _leaseEnds - _time.GetUtcNow()), Timeout.InfiniteTimeSpan);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private void LeaseMayHaveEnded()
    {
        lock (_leaseGate)
        {
            var left = _leaseEnds - _time.GetUtcNow();
            if (Mode == ShareMode.Shared && left > TimeSpan.Zero)
            {
                // A real timer may fire a little early, or a heartbeat renewed the lease meanwhile: look again then.
                _leaseTimer.Change(left, Timeout.InfiniteTimeSpan);
                return;
            }
            FallBackIfLeaseEnded(null);
        }
    }

    /// <summary>The share granted last still holds until its lease ends: the other replicas count it as ours until then.</summary>
    private void Unanswered(Exception? reason)
    {
        lock (_leaseGate)
        {
            FallBackIfLeaseEnded(reason);
        }
    }

    private void FallBackIfLeaseEnded(Exception? reason)
    {
        if (Mode == ShareMode.LocalOnly || _time.GetUtcNow() < _leaseEnds)
        {
            return;
        }
        var replicas = Math.Max(_lastLive, _options.ReplicasWhenRedisIsAway);
        var local = Math.Max(1, _limits.MaxInFlight / replicas);
        Scheduler.SetCapacity(local);
        Mode = ShareMode.LocalOnly;
        _logger.LogWarning(reason, "Endpoint {Endpoint}: Redis has not answered within the lease, so replicas cannot share its slots; this replica admits a local share of {Slots} of {Max} (as if {Replicas} replicas ran) until Redis answers",
            Endpoint, local, _limits.MaxInFlight, replicas);
    }
}
