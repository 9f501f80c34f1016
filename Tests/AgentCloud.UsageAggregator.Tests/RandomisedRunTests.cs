using AgentCloud.Platform.Contracts;

namespace AgentCloud.UsageAggregator.Tests;

[Collection(UsageCollection.Name)]
public sealed class RandomisedRunTests(UsageServers servers)
{
    [Fact]
    public async Task Rollups_equal_raw_events_after_100000_events_with_duplicates_and_crashes()
    {
        const int distinct = 100_000;
        var random = new Random(8);
        var hooks = new CrashingHooks(seed: 8, probability: 0.08);
        await using var host = await UsageHost.StartAsync(servers, runWorker: false, hooks: hooks, settings: new Dictionary<string, string>
        {
            ["UsageIngestion:BatchSize"] = "5000",
            ["UsageIngestion:ClaimIdle"] = "00:00:00.200",
            ["UsageIngestion:ClaimInterval"] = "00:00:00.050",
        });
        string[] tenants = ["acme", "globex", "initech", "umbrella", "hooli"];
        string[] models = ["sim-small", "sim-large", "sim-unpriced"];
        var events = Enumerable.Range(0, distinct).Select(i => random.Next(10) == 0
            ? Events.Sandbox(tenants[random.Next(tenants.Length)], Math.Round(random.NextDouble() * 30, 3), at: Events.Noon.AddSeconds(random.Next(7200)))
            : Events.Inference(tenants[random.Next(tenants.Length)], models[random.Next(models.Length)], random.Next(1, 4000), random.Next(0, 500),
                random.Next(1, 2000), at: Events.Noon.AddSeconds(random.Next(7200)))).ToArray();
        // One event in ten is delivered again later, and one stretch of 2,000 is replayed whole.
        var stream = events.Concat(events.Where(_ => random.Next(10) == 0)).OrderBy(_ => random.Next()).Concat(events[5_000..7_000]).ToArray();

        var producing = host.AddAsync(stream);
        var consumers = Enumerable.Range(0, 3).Select(i => RunUntilDrainedAsync(host, $"worker-{i}", producing)).ToArray();
        await producing;
        await Task.WhenAll(consumers);

        Assert.True(hooks.Crashes > 0, "the run should have crashed consumers");
        Assert.Equal(distinct, await host.RawEventsAsync());
        Assert.Equal(distinct, await host.CountedEventsAsync());
        Assert.Equal(events.Sum(e => e.InputTokens), await host.ScalarAsync("SELECT sum(input_tokens) FROM usage_rollups"));
        Assert.Equal(events.Sum(e => e.OutputTokens), await host.ScalarAsync("SELECT sum(output_tokens) FROM usage_rollups"));
        Assert.Equal((long)Math.Round(events.Sum(e => (decimal)e.SandboxSeconds) * 1000),
            await host.ScalarAsync("SELECT sum(sandbox_seconds) * 1000 FROM usage_rollups"));
        var report = await host.ReconcileAsync();
        Assert.Equal(distinct, report.RawEvents);
        Assert.Empty(report.Drift);
    }

    /// <summary>A replica that restarts (under a new name) each time it crashes, until the stream is drained.</summary>
    private static async Task RunUntilDrainedAsync(UsageHost host, string name, Task producing)
    {
        var generation = 0;
        var consumer = await host.ConsumerAsync($"{name}-{generation}");
        while (true)
        {
            int handled;
            try
            {
                handled = await consumer.ProcessNextAsync(CancellationToken.None);
            }
            catch (SimulatedCrash)
            {
                consumer = await host.ConsumerAsync($"{name}-{++generation}");
                continue;
            }
            if (handled > 0)
            {
                continue;
            }
            if (producing.IsCompleted && await DrainedAsync(host))
            {
                return;
            }
            await Task.Delay(20);
        }
    }

    private static async Task<bool> DrainedAsync(UsageHost host)
    {
        var group = (await host.Redis.StreamGroupInfoAsync(host.Stream)).Single(g => g.Name == UsageHost.Group);
        return group.PendingMessageCount == 0 && group.Lag == 0;
    }
}
