using AgentCloud.Tests.Shared;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>Its own Postgres, so stopping it disturbs no other test.</summary>
[Collection(UsageCollection.Name)]
public sealed class PostgresOutageTests(UsageServers servers) : IAsyncLifetime
{
    private readonly PostgresServerFixture _postgres = new();

    public Task InitializeAsync() => _postgres.InitializeAsync();

    public Task DisposeAsync() => _postgres.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Everything_arrives_once_the_database_is_back_after_a_restart_while_events_flow(bool crash)
    {
        await using var host = await UsageHost.StartAsync(servers, postgres: _postgres,
            settings: new Dictionary<string, string> { ["UsageIngestion:BatchSize"] = "200" });
        var sent = 0;
        async Task SendAsync(int batches)
        {
            for (var i = 0; i < batches; i++)
            {
                await host.AddAsync(Enumerable.Range(0, 100).Select(_ => Events.Inference("acme", at: Events.Noon.AddSeconds(sent % 600))).ToArray());
                sent += 100;
                await Task.Delay(10);
            }
        }

        await SendAsync(10);
        await _postgres.StopAsync(crash);
        await SendAsync(10);
        await Task.Delay(500);
        await SendAsync(5);
        await _postgres.StartAsync();
        await SendAsync(10);
        await host.WaitUntilDrainedAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(sent, await host.CountedEventsAsync());
        Assert.Equal(sent, await host.RawEventsAsync());
        Assert.Empty((await host.ReconcileAsync()).Drift);
    }
}
