using System.Diagnostics.Metrics;
using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.Bench.Fairness;

/// <summary>
/// The schedulers of one or more router replicas in front of the same simulator, with calls split among them
/// round-robin as a load balancer would. Replicas either keep their state per process (each admitting the endpoint's
/// whole concurrency: the behaviour before replicas shared) or share slots and counters through Redis with the
/// router's own <see cref="EndpointSchedulers"/> and <see cref="ReplicaCapacitySync"/>, each on its own connection.
/// </summary>
internal sealed class RouterFront : IAsyncDisposable
{
    private readonly FairScheduler[] _schedulers;
    private readonly List<Func<Task>> _stops;
    private int _next;

    private RouterFront(FairScheduler[] schedulers, List<Func<Task>> stops) => (_schedulers, _stops) = (schedulers, stops);

    public static RouterFront PerProcess(FairSchedulerOptions limits, int replicas) =>
        new([.. Enumerable.Range(0, replicas).Select(_ => new FairScheduler(limits, TimeProvider.System))], []);

    /// <summary>Replicas sharing through Redis; returns once every replica has had its first heartbeat answered.</summary>
    public static async Task<RouterFront> SharedAsync(string redis, FairSchedulerOptions limits, int replicas, string endpoint, ILoggerFactory logs)
    {
        var schedulers = new List<FairScheduler>();
        var stops = new List<Func<Task>>();
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        for (var i = 0; i < replicas; i++)
        {
            var connection = await ConnectionMultiplexer.ConnectAsync(redis);
            var replica = new EndpointSchedulers(Options.Create(limits), Options.Create(new ReplicaShareOptions { ReplicaId = $"bench-{i}" }),
                new SharedCapacityStore(connection), TimeProvider.System, meters.GetRequiredService<IMeterFactory>(), logs.CreateLogger<ReplicaShare>());
            var sync = new ReplicaCapacitySync(replica, logs.CreateLogger<ReplicaCapacitySync>());
            await sync.StartAsync(CancellationToken.None);
            schedulers.Add(replica.For(endpoint));
            stops.Add(async () =>
            {
                await sync.StopAsync(CancellationToken.None);
                sync.Dispose();
                await connection.DisposeAsync();
            });
            for (var wait = 0; replica.Shares.Single().Mode == ShareMode.Joining; wait++)
            {
                if (wait > 500)
                {
                    throw new InvalidOperationException("the replica's first heartbeat did not finish in 5 s");
                }
                await Task.Delay(10);
            }
        }
        stops.Add(() => meters.DisposeAsync().AsTask());
        // A replica that joins finds the slots held by those before it, and gets its share a heartbeat or two later:
        // measure the steady state, not that transient.
        for (var wait = 0; schedulers.Any(s => s.Capacity == 0) || schedulers.Sum(s => s.Capacity) < limits.MaxInFlight; wait++)
        {
            if (wait > 500)
            {
                throw new InvalidOperationException("the replicas' shares did not settle in 5 s");
            }
            await Task.Delay(10);
        }
        return new RouterFront([.. schedulers], stops);
    }

    public int Replicas => _schedulers.Length;

    /// <summary>The replica the next call goes to.</summary>
    public FairScheduler Next() => _schedulers[(int)((uint)Interlocked.Increment(ref _next) % (uint)_schedulers.Length)];

    public IReadOnlyDictionary<string, double> ServedByTenant() =>
        _schedulers.SelectMany(s => s.ServedByTenant()).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));

    public async ValueTask DisposeAsync()
    {
        foreach (var stop in _stops)
        {
            await stop();
        }
    }
}
