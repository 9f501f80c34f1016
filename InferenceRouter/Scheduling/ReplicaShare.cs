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
public sealed class ReplicaShare(string endpoint, string replica, FairScheduler scheduler, SharedCapacityStore store,
    FairSchedulerOptions limits, ReplicaShareOptions options, TimeProvider time, ILogger logger)
{
    private readonly Dictionary<string, double> _pushed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private DateTimeOffset _leaseEnds = DateTimeOffset.MinValue;
    private int _lastLive;

    public string Endpoint { get; } = endpoint;

    public FairScheduler Scheduler { get; } = scheduler;

    public ShareMode Mode { get; private set; } = ShareMode.Joining;

    /// <summary>One heartbeat. Never throws for Redis trouble: a failure only moves the replica toward its local share.</summary>
    public async Task SyncOnceAsync(CancellationToken cancellationToken = default)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var sentAt = time.GetUtcNow();
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
                grant = await store.HeartbeatAsync(Endpoint, replica, sentAt, options.LeaseTtl, limits,
                    Math.Max(snapshot.Capacity, snapshot.InFlight), snapshot, servedHere).WaitAsync(options.HeartbeatTimeout, cancellationToken);
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
            Scheduler.SetCapacity(grant.Slots);
            _leaseEnds = sentAt + options.LeaseTtl;
            _lastLive = grant.LiveReplicas;
            if (Mode == ShareMode.LocalOnly)
            {
                logger.LogInformation("Endpoint {Endpoint}: Redis answers again; this replica's share is {Slots} of {Max} slots among {Replicas} replicas",
                    Endpoint, grant.Slots, limits.MaxInFlight, grant.LiveReplicas);
            }
            Mode = ShareMode.Shared;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>The share granted last still holds until its lease ends: the other replicas count it as ours until then.</summary>
    private void Unanswered(Exception reason)
    {
        if (Mode == ShareMode.LocalOnly || time.GetUtcNow() < _leaseEnds)
        {
            return;
        }
        var replicas = Math.Max(_lastLive, options.ReplicasWhenRedisIsAway);
        var local = Math.Max(1, limits.MaxInFlight / replicas);
        Scheduler.SetCapacity(local);
        Mode = ShareMode.LocalOnly;
        logger.LogWarning(reason, "Endpoint {Endpoint}: Redis does not answer, so replicas cannot share its slots; this replica admits a local share of {Slots} of {Max} (as if {Replicas} replicas ran) until Redis answers",
            Endpoint, local, limits.MaxInFlight, replicas);
    }
}
