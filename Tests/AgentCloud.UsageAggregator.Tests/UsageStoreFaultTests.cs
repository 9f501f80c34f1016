using System.Diagnostics;
using System.Net;
using AgentCloud.Tests.Shared;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>
/// The usage API while its Postgres is frozen (SIGSTOP): 503 with Retry-After within the promise, never a hang; and an
/// event that reached the stream twice while it was frozen (a late add and its outbox replay) is counted once.
/// </summary>
[Collection(UsageCollection.Name)]
public sealed class UsageStoreFaultTests(UsageServers servers) : IAsyncLifetime
{
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(2);
    private readonly PostgresServerFixture _postgres = new(); // its own: this test freezes it

    public Task InitializeAsync() => _postgres.InitializeAsync();

    public Task DisposeAsync() => _postgres.DisposeAsync();

    [Fact]
    public async Task Usage_reads_answer_503_with_retry_after_while_postgres_is_frozen_and_a_replayed_event_counts_once()
    {
        await using var host = await UsageHost.StartAsync(servers, postgres: _postgres,
            settings: new Dictionary<string, string> { ["UsageApi:AdminQueryDeadline"] = "00:00:01" });
        using var tenant = host.ClientAs(TestTenantContexts.Tenant("frozen", "pro"));
        using var operatorClient = host.ClientAs(TestTenantContexts.Operator);
        const string period = "from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z";
        await host.AddAsync(Events.Inference("frozen"));
        await host.WaitUntilDrainedAsync();
        (await tenant.GetAsync($"/v1/usage?{period}")).EnsureSuccessStatusCode();

        var replayed = Events.Inference("frozen");
        var answers = new List<(string Path, HttpStatusCode Status, string? MediaType, bool RetryAfter, TimeSpan Took)>();
        await _postgres.PauseAsync();
        try
        {
            await host.AddAsync(replayed);
            await host.AddAsync(replayed);
            foreach (var (client, path) in new[] { (tenant, $"/v1/usage?{period}"), (operatorClient, $"/admin/v1/usage/reconciliation?{period}") })
            {
                var clock = Stopwatch.StartNew();
                using var response = await client.GetAsync(path);
                answers.Add((path, response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.RetryAfter is not null, clock.Elapsed));
            }
        }
        finally
        {
            await _postgres.ResumeAsync();
        }

        Assert.All(answers, a =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Status);
            Assert.Equal("application/problem+json", a.MediaType);
            Assert.True(a.RetryAfter, a.Path);
            Assert.True(a.Took < Promise, $"{a.Path} answered after {a.Took}");
        });
        await host.WaitUntilDrainedAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, await host.CountedEventsAsync());
        Assert.Empty((await host.ReconcileAsync()).Drift);
    }
}
