using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AgentCloud.InferenceRouter.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Scheduling;

/// <summary>One fair scheduler per shared endpoint, made on first use with the configured bounds. With replicas
/// sharing (the default), each scheduler starts with no slots and gets its share from <see cref="ReplicaCapacitySync"/>.</summary>
public sealed class EndpointSchedulers
{
    public const string SectionName = "InferenceRouter:Scheduler";

    private readonly ConcurrentDictionary<string, FairScheduler> _schedulers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ReplicaShare> _shares = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _newEndpoint = new(0);
    private readonly FairSchedulerOptions _options;
    private readonly ReplicaShareOptions _replicas;
    private readonly SharedCapacityStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<ReplicaShare> _logger;
    private readonly Meter _meter;

    public EndpointSchedulers(IOptions<FairSchedulerOptions> options, IOptions<ReplicaShareOptions> replicas, SharedCapacityStore store,
        TimeProvider time, IMeterFactory meters, ILogger<ReplicaShare> logger)
    {
        (_options, _replicas, _store, _time, _logger) = (options.Value, replicas.Value, store, time, logger);
        ReplicaId = _replicas.ReplicaId is { Length: > 0 } id ? id : $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        _meter = meters.Create("AgentCloud.InferenceRouter.Scheduler");
        _meter.CreateObservableGauge("agentcloud.router.scheduler.share", () => _shares.Values.Select(s => new Measurement<int>(s.Scheduler.Capacity,
            new("endpoint", s.Endpoint), new("mode", s.Mode.ToString()))), description: "Slots of a shared endpoint this replica may use, and whether Redis granted them or a local fallback did");
    }

    /// <summary>How this replica is named to the others in Redis.</summary>
    public string ReplicaId { get; }

    public IEnumerable<ReplicaShare> Shares => _shares.Values;

    public FairScheduler For(string endpoint) => _schedulers.TryGetValue(endpoint, out var scheduler) ? scheduler : Create(endpoint);

    /// <summary>Waits for the next heartbeat: the interval, or sooner when an endpoint is used for the first time (its
    /// scheduler has no slots until its first heartbeat).</summary>
    public async Task NextHeartbeatAsync(CancellationToken cancellationToken) =>
        await _newEndpoint.WaitAsync(_replicas.HeartbeatInterval, cancellationToken);

    /// <summary>Under a lock, not a GetOrAdd factory: two first calls racing would each make a scheduler, and the one the
    /// calls use could be left without the heartbeat that gives it slots.</summary>
    private FairScheduler Create(string endpoint)
    {
        lock (_schedulers)
        {
            if (_schedulers.TryGetValue(endpoint, out var existing))
            {
                return existing;
            }
            var scheduler = new FairScheduler(_options, _time, _meter, endpoint);
            if (_replicas.Shared)
            {
                scheduler.SetCapacity(0);
                _shares[endpoint] = new ReplicaShare(endpoint, ReplicaId, scheduler, _store, _options, _replicas, _time, _logger);
                _newEndpoint.Release();
            }
            _schedulers[endpoint] = scheduler;
            return scheduler;
        }
    }
}
