using System.Collections.Concurrent;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Usage;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// The lease journal in the broker's own process: a live lease is on disk, an ended one is not, and what a crashed run
/// left is billed once and its run ended when the broker starts. The real crash (a broker process killed with SIGKILL,
/// with the ControlPlane revoking the key) is tested in the ControlPlane project.
/// </summary>
public sealed class LeaseJournalTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private readonly RecordingEnds _ends = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    private BrokerFactory Broker(string? root = null) => new(_redis.ConnectionString, new Dictionary<string, string?>
    {
        ["SandboxBroker:IssueRunKeys"] = "true",
    }, root)
    {
        TestServices = services =>
        {
            services.RemoveAll<IRunCredentials>();
            services.AddSingleton<IRunCredentials>(_ends);
        },
    };

    private static string[] Journaled(BrokerFactory broker) =>
        Directory.GetFiles(broker.Services.GetRequiredService<LeaseJournal>().Directory).Select(Path.GetFileName).ToArray()!;

    private async Task<UsageEvent[]> UsageOfAsync(string sandboxId) =>
        (await _redis.Connection.GetDatabase().StreamRangeAsync(UsageEvent.StreamName))
            .Select(e => UsageEvent.FromStreamFields(e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()), out _))
            .Where(e => e?.EventId == SandboxUsage.EventIdOf(sandboxId)).Select(e => e!).ToArray();

    [Fact]
    public async Task A_live_lease_is_in_the_journal_and_leaves_it_when_it_ends()
    {
        await using var broker = Broker();
        var client = broker.ClientFor("journal-live");
        var sandbox = await client.CreateSandboxAsync();

        var whileLive = Journaled(broker);
        (await client.DeleteAsync($"/v1/sandboxes/{sandbox.Id}")).EnsureSuccessStatusCode();

        Assert.Equal([sandbox.Id + ".lease.json"], whileLive);
        Assert.Empty(Journaled(broker));
        Assert.Single(await UsageOfAsync(sandbox.Id));
        Assert.Empty(_ends.Recovered);
    }

    [Fact]
    public async Task A_lease_of_a_projects_key_is_journaled_and_billed_to_that_project_and_another_keys_to_none()
    {
        await using var broker = Broker();
        var projectKey = broker.CreateClient().As(TestTenantContexts.Tenant("journal-project") with { ProjectId = "prj_9f8e7d6c5b4a3f2e" });
        var plainKey = broker.ClientFor("journal-project");
        var ofProject = await projectKey.CreateSandboxAsync();
        var ofNone = await plainKey.CreateSandboxAsync();

        var journaled = broker.Services.GetRequiredService<LeaseJournal>().Read();
        (await projectKey.DeleteAsync($"/v1/sandboxes/{ofProject.Id}")).EnsureSuccessStatusCode();
        (await plainKey.DeleteAsync($"/v1/sandboxes/{ofNone.Id}")).EnsureSuccessStatusCode();

        Assert.Equal("prj_9f8e7d6c5b4a3f2e", journaled.Single(l => l.SandboxId == ofProject.Id).ProjectId);
        Assert.Equal("prj_9f8e7d6c5b4a3f2e", Assert.Single(await UsageOfAsync(ofProject.Id)).ProjectId);
        Assert.Null(Assert.Single(await UsageOfAsync(ofNone.Id)).ProjectId);
    }

    [Fact]
    public async Task Leases_a_crashed_broker_left_in_its_journal_are_billed_once_up_to_the_restart_and_their_runs_ended()
    {
        var root = BrokerFactory.NewRoot();
        var now = DateTimeOffset.UtcNow;
        var options = Microsoft.Extensions.Options.Options.Create(new SandboxBrokerOptions { Root = root });
        var crashed = new LeaseJournal(options);
        crashed.Record(new LeaseRecord("sbx_crashed0001", "journal-crashed", "key:a", "sbx_crashed0001", "bubblewrap", "shared", now.AddMinutes(-2), now.AddHours(1), true,
            ProjectId: "prj_0a1b2c3d4e5f6a7b"));
        // Expired before the crash was noticed: billed up to its expiry, not to the restart.
        crashed.Record(new LeaseRecord("sbx_crashed0002", "journal-crashed", "key:a", "sbx_crashed0002", "bubblewrap", "shared", now.AddMinutes(-30), now.AddMinutes(-20), false));
        File.WriteAllText(Path.Combine(crashed.Directory, "sbx_torn.lease.json"), "{\"sandboxId\": \"sbx_tor"); // a write the crash cut short

        await using (var broker = Broker(root))
        {
            _ = broker.Server;
            await IsolationTests.WaitUntil(() => Journaled(broker).All(f => f.EndsWith(".unreadable", StringComparison.Ordinal)));
        }
        await using (var again = Broker(root))
        {
            _ = again.Server;
            Assert.DoesNotContain(Journaled(again), f => f.EndsWith(".lease.json", StringComparison.Ordinal));
        }

        var first = Assert.Single(await UsageOfAsync("sbx_crashed0001"));
        Assert.Equal("journal-crashed", first.TenantId);
        Assert.Equal("aborted", first.Status);
        Assert.InRange(first.SandboxSeconds, 120, 3600);
        Assert.Equal("prj_0a1b2c3d4e5f6a7b", first.ProjectId);
        var second = Assert.Single(await UsageOfAsync("sbx_crashed0002"));
        Assert.Equal(600, second.SandboxSeconds, precision: 0);
        Assert.Null(second.ProjectId);
        Assert.Equal([("journal-crashed", "sbx_crashed0001")], _ends.Recovered.ToArray());
    }

    private sealed class RecordingEnds : IRunCredentials
    {
        public ConcurrentQueue<(string TenantId, string RunId)> Recovered { get; } = new();

        public Task<RunKey> MintAsync(TenantContext caller, string runId, IReadOnlyList<string>? capabilities, TimeSpan lifetime, CancellationToken cancellationToken) =>
            Task.FromResult(new RunKey("key_" + runId, "ac_run_" + Guid.NewGuid().ToString("N"), runId, capabilities ?? ["inference"], DateTimeOffset.UtcNow + lifetime));

        public Task RevokeAsync(string runId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task AnnounceEndedAsync(string tenantId, string runId) => Task.CompletedTask;

        public Task AnnounceRecoveredEndAsync(string tenantId, string runId)
        {
            Recovered.Enqueue((tenantId, runId));
            return Task.CompletedTask;
        }
    }
}
