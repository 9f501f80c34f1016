using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Pricing;

namespace AgentCloud.UsageAggregator.Tests;

[Collection(UsageCollection.Name)]
public sealed class ExactlyOnceTests(UsageServers servers)
{
    [Fact]
    public async Task Same_event_delivered_twice_is_counted_once()
    {
        await using var host = await UsageHost.StartAsync(servers);
        var e = Events.Inference("acme", input: 1000, output: 500);

        await host.AddAsync(e, e);
        await host.WaitUntilDrainedAsync();

        Assert.Equal(1, await host.CountedEventsAsync());
        Assert.Equal(1000, await host.ScalarAsync("SELECT sum(input_tokens) FROM usage_rollups"));
        Assert.Equal(500, await host.ScalarAsync("SELECT sum(output_tokens) FROM usage_rollups"));
    }

    [Fact]
    public async Task Replay_of_a_whole_batch_is_counted_once()
    {
        await using var host = await UsageHost.StartAsync(servers);
        var batch = Enumerable.Range(0, 2_000).Select(i => Events.Inference(i % 2 == 0 ? "acme" : "globex", at: Events.Noon.AddSeconds(i))).ToArray();

        await host.AddAsync(batch);
        await host.WaitUntilDrainedAsync();
        await host.AddAsync(batch);
        await host.WaitUntilDrainedAsync();

        Assert.Equal(2_000, await host.CountedEventsAsync());
        Assert.Equal(2_000, await host.RawEventsAsync());
        Assert.Empty((await host.ReconcileAsync()).Drift);
    }

    [Fact]
    public async Task Batch_mixing_counted_and_new_events_counts_only_the_new_ones()
    {
        await using var host = await UsageHost.StartAsync(servers, runWorker: false);
        var counted = Enumerable.Range(0, 100).Select(i => Events.Inference("acme", input: 1000, output: 10, at: Events.Noon.AddSeconds(i))).ToArray();
        var fresh = Enumerable.Range(0, 50).Select(i => Events.Inference("acme", input: 7, output: 3, at: Events.Noon.AddSeconds(i))).ToArray();
        await host.AddAsync(counted);
        var consumer = await host.ConsumerAsync("replica-1");
        Assert.Equal(100, await consumer.ProcessNextAsync(CancellationToken.None));

        // One batch: the 100 counted events again, interleaved with 50 new ones.
        var mixed = new List<UsageEvent>();
        for (var i = 0; i < counted.Length; i++)
        {
            mixed.Add(counted[i]);
            if (i < fresh.Length)
            {
                mixed.Add(fresh[i]);
            }
        }
        await host.AddAsync([.. mixed]);
        Assert.Equal(150, await consumer.ProcessNextAsync(CancellationToken.None));

        Assert.Equal(150, await host.CountedEventsAsync());
        Assert.Equal(150, await host.RawEventsAsync());
        Assert.Equal(100 * 1000 + 50 * 7, await host.ScalarAsync("SELECT sum(input_tokens) FROM usage_rollups"));
        Assert.Equal(100 * 10 + 50 * 3, await host.ScalarAsync("SELECT sum(output_tokens) FROM usage_rollups"));
        Assert.Empty((await host.ReconcileAsync()).Drift);
    }

    [Fact]
    public async Task Consumer_killed_after_commit_before_ack_counts_once_after_restart()
    {
        var hooks = new CrashingHooks { CrashAfterCommit = 1 };
        await using var host = await UsageHost.StartAsync(servers, runWorker: false, hooks: hooks);
        await host.AddAsync(Enumerable.Range(0, 300).Select(_ => Events.Inference("acme")).ToArray());

        var first = await host.ConsumerAsync("replica-1");
        await Assert.ThrowsAsync<SimulatedCrash>(() => first.ProcessNextAsync(CancellationToken.None));
        Assert.Equal(300, await host.CountedEventsAsync());
        Assert.Equal(300, (await host.Redis.StreamPendingAsync(host.Stream, UsageHost.Group)).PendingMessageCount);

        var restarted = await host.ConsumerAsync("replica-1");
        Assert.Equal(300, await restarted.ProcessNextAsync(CancellationToken.None));

        Assert.Equal(300, await host.CountedEventsAsync());
        Assert.Equal(0, (await host.Redis.StreamPendingAsync(host.Stream, UsageHost.Group)).PendingMessageCount);
    }

    [Fact]
    public async Task Consumer_killed_before_commit_loses_nothing_when_another_claims_its_events()
    {
        var hooks = new CrashingHooks { CrashBeforeCommit = 1 };
        await using var host = await UsageHost.StartAsync(servers, runWorker: false, hooks: hooks,
            settings: new Dictionary<string, string> { ["UsageIngestion:ClaimIdle"] = "00:00:00" });
        await host.AddAsync(Enumerable.Range(0, 300).Select(_ => Events.Inference("acme")).ToArray());

        var dead = await host.ConsumerAsync("replica-1");
        await Assert.ThrowsAsync<SimulatedCrash>(() => dead.ProcessNextAsync(CancellationToken.None));
        Assert.Equal(0, await host.CountedEventsAsync());

        var survivor = await host.ConsumerAsync("replica-2");
        Assert.Equal(300, await survivor.ProcessNextAsync(CancellationToken.None));

        Assert.Equal(300, await host.CountedEventsAsync());
        Assert.Equal(0, (await host.Redis.StreamPendingAsync(host.Stream, UsageHost.Group)).PendingMessageCount);
    }

    [Fact]
    public async Task Events_added_before_the_group_existed_are_counted()
    {
        await using var host = await UsageHost.StartAsync(servers, runWorker: false);
        await host.AddAsync(Events.Inference("acme"), Events.Inference("acme"));

        var consumer = await host.ConsumerAsync("late");
        await consumer.ProcessNextAsync(CancellationToken.None);

        Assert.Equal(2, await host.CountedEventsAsync());
    }

    [Fact]
    public async Task Event_is_priced_at_the_price_in_force_when_it_started()
    {
        await using var host = await UsageHost.StartAsync(servers);
        var change = new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero);
        await host.ScalarAsync($"""
            INSERT INTO usage_prices (resource, effective_from, input_per_million, cached_input_per_million, output_per_million)
            VALUES ('sim-large', '{change:O}', 5, 2, 20) RETURNING 1
            """);

        await host.AddAsync(
            Events.Inference("acme", "sim-large", input: 1_000_000, cached: 400_000, output: 100_000, at: change.AddMinutes(-1)),
            Events.Inference("acme", "sim-large", input: 1_000_000, cached: 400_000, output: 100_000, at: change),
            Events.Sandbox("acme", 100, "gvisor", at: change));
        await host.WaitUntilDrainedAsync();

        // Before: 0.6M x 2.50 + 0.4M x 1.25 + 0.1M x 10 = 3.0; after: 0.6M x 5 + 0.4M x 2 + 0.1M x 20 = 5.8; 100 s x 0.00002 = 0.002.
        Assert.Equal(3_000_000, await host.ScalarAsync($"SELECT cost * 1000000 FROM usage_rollups WHERE minute < '{change:O}'"));
        Assert.Equal(5_800_000, await host.ScalarAsync($"SELECT cost * 1000000 FROM usage_rollups WHERE minute = '{change:O}' AND kind = 'inference'"));
        Assert.Equal(2_000, await host.ScalarAsync($"SELECT cost * 1000000 FROM usage_rollups WHERE kind = 'sandbox'"));
    }

    [Fact]
    public async Task The_ledger_prices_an_event_as_a_dollar_budget_does_even_when_cached_input_is_above_input()
    {
        await using var host = await UsageHost.StartAsync(servers);
        var change = new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero);
        var price = new ModelPrice { Model = "sim-large", InputPerMillion = 4m, CachedInputPerMillion = 1m, OutputPerMillion = 16m };
        await host.ScalarAsync($"""
            INSERT INTO usage_prices (resource, effective_from, input_per_million, cached_input_per_million, output_per_million)
            VALUES ('sim-large', '{change:O}', 4, 1, 16) RETURNING 1
            """);

        // A hostile or buggy upstream reporting more cached tokens than input tokens bills all input at the cached price, no more.
        await host.AddAsync(Events.Inference("acme", "sim-large", input: 1_000, cached: 5_000, output: 2_000, at: change));
        await host.WaitUntilDrainedAsync();

        var ledgerMicrodollars = await host.ScalarAsync($"SELECT cost * 1000000 FROM usage_rollups WHERE minute = '{change:O}' AND kind = 'inference'");
        Assert.Equal(1_000L * 1 + 2_000L * 16, ledgerMicrodollars);
        Assert.Equal(ledgerMicrodollars, price.Microdollars(1_000, 5_000, 2_000));
    }
}
