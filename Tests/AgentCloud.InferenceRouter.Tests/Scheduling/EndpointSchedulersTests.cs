using System.Diagnostics.Metrics;
using AgentCloud.InferenceRouter.Scheduling;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Tests.Scheduling;

public sealed class EndpointSchedulersTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Concurrent_first_calls_on_an_endpoint_share_one_scheduler_and_its_heartbeat_gives_it_the_slots()
    {
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var schedulers = new EndpointSchedulers(Options.Create(new FairSchedulerOptions { MaxInFlight = 4 }),
                Options.Create(SharedReplica.Patient), new SharedCapacityStore(redis.Connection), TimeProvider.System,
                meters.GetRequiredService<IMeterFactory>(), NullLogger<ReplicaShare>.Instance);
            var endpoint = "first-" + Guid.NewGuid().ToString("N");
            using var start = new ManualResetEventSlim();
            var racers = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                start.Wait();
                return schedulers.For(endpoint);
            })).ToArray();
            start.Set();
            var got = await Task.WhenAll(racers);

            var used = Assert.Single(got.Distinct());
            var share = Assert.Single(schedulers.Shares);
            Assert.Same(used, share.Scheduler);
            Assert.Equal(0, used.Capacity);
            await share.SyncOnceAsync();
            Assert.Equal(4, used.Capacity);
        }
    }
}
