using System.Net.Http.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.SandboxBroker.Fleet;
using AgentCloud.SandboxBroker.Kubernetes;
using AgentCloud.SandboxBroker.Usage;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>
/// Cluster sandboxes in the broker fleet, as the published broker runs (kubernetes level, two replicas): two brokers on
/// loopback sharing Redis and an <see cref="ApiServerDouble"/>. Either serves a cluster sandbox the other created, the
/// tenant's limit counts cluster sandboxes across both, and a dead broker's cluster sandbox is billed once by the
/// survivor, which deletes its claim.
/// </summary>
public sealed class ClusterFleetTests : IAsyncLifetime
{
    private static readonly object Kube = new { isolation = "kubernetes" };

    private readonly RedisServerFixture _redis = new();
    private readonly RunKeyTests.RecordingRunCredentials _credentials = new();
    private readonly string _root = BrokerFactory.NewRoot();
    private readonly string _dir = Directory.CreateTempSubdirectory("agentcloud-kube-fleet-").FullName;
    private ApiServerDouble _api = null!;
    private Dictionary<string, string?> _kube = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _api = await ApiServerDouble.StartAsync();
        _kube = new Dictionary<string, string?>
        {
            ["SandboxBroker:Kubernetes:Enabled"] = "true",
            ["SandboxBroker:Kubernetes:Kubeconfig"] = _api.Kubeconfig(_dir),
            ["SandboxBroker:Kubernetes:Namespace"] = "sbx",
            ["SandboxBroker:Kubernetes:CreateTimeout"] = "00:00:03",
            ["SandboxBroker:Kubernetes:DeleteTimeout"] = "00:00:02",
        };
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _redis.DisposeAsync();
        FleetHosts.RemoveInstanceFolders(_root);
        Directory.Delete(_dir, recursive: true);
    }

    private BrokerFactory Start() => FleetHosts.Start(_redis.ConnectionString, _root, _credentials, _kube);

    private async Task<UsageEvent[]> UsageOfAsync(string sandboxId) =>
        (await _redis.Connection.GetDatabase().StreamRangeAsync(UsageEvent.StreamName))
            .Select(e => UsageEvent.FromStreamFields(e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString()), out _))
            .Where(e => e?.EventId == SandboxUsage.EventIdOf(sandboxId)).Select(e => e!).ToArray();

    [Fact]
    public async Task A_cluster_sandbox_created_on_one_broker_is_used_and_deleted_through_the_other_and_another_tenant_gets_404()
    {
        await using var a = Start();
        await using var b = Start();
        var onA = a.Over("kube-fleet-owner");
        var onB = b.Over("kube-fleet-owner");
        var sandbox = await onA.CreateSandboxAsync(Kube);
        var claim = SandboxManifests.ClaimName(sandbox.Id);

        Assert.Equal("kubernetes", (await onB.GetFromJsonAsync<SandboxDto>($"/v1/sandboxes/{sandbox.Id}"))!.Isolation);
        Assert.Equal("through B", (await onB.ExecAsync(sandbox.Id, ["sh", "-c", "printf 'through B'"])).Stdout);
        Assert.Contains((await onB.GetFromJsonAsync<SandboxDto[]>("/v1/sandboxes"))!, s => s.Id == sandbox.Id);

        // Another tenant, on either broker, finds nothing by that id: no view, no exec, no delete.
        var stranger = b.Over("kube-fleet-stranger");
        using (var get = await stranger.GetAsync($"/v1/sandboxes/{sandbox.Id}"))
        {
            await BrokerCalls.AssertProblemAsync(get, 404);
        }
        using (var exec = await stranger.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "/bin/true" } }))
        {
            await BrokerCalls.AssertProblemAsync(exec, 404);
        }
        using (var delete = await a.Over("kube-fleet-stranger").DeleteAsync($"/v1/sandboxes/{sandbox.Id}"))
        {
            await BrokerCalls.AssertProblemAsync(delete, 404);
        }
        Assert.True(_api.LiveClaims.ContainsKey(claim));

        using (var delete = await onB.DeleteAsync($"/v1/sandboxes/{sandbox.Id}"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, delete.StatusCode);
        }
        Assert.False(_api.LiveClaims.ContainsKey(claim));
        using (var gone = await onA.GetAsync($"/v1/sandboxes/{sandbox.Id}"))
        {
            await BrokerCalls.AssertProblemAsync(gone, 404);
        }
        Assert.Equal("ok", Assert.Single(await UsageOfAsync(sandbox.Id)).Status);
    }

    [Fact]
    public async Task The_tenants_limit_counts_cluster_sandboxes_on_every_broker()
    {
        await using var a = Start();
        await using var b = Start();
        foreach (var broker in new[] { a, b })
        {
            broker.Policies.Set(FakePolicies.Default("kube-fleet-limit") with { MaxConcurrentSandboxes = 2 });
        }
        var onA = a.Over("kube-fleet-limit");
        var onB = b.Over("kube-fleet-limit");
        var first = await onA.CreateSandboxAsync(Kube);
        await onB.CreateSandboxAsync(Kube);

        // Each broker holds one: only the fleet's count says the tenant is at its limit.
        using (var third = await onA.PostAsJsonAsync("/v1/sandboxes", Kube))
        {
            await BrokerCalls.AssertProblemAsync(third, 429);
        }
        using (var host = await onB.PostAsJsonAsync("/v1/sandboxes", new { }))
        {
            await BrokerCalls.AssertProblemAsync(host, 429);
        }
        (await onB.DeleteAsync($"/v1/sandboxes/{first.Id}")).Dispose(); // ended by its owner, A, through B
        var replacement = await onB.CreateSandboxAsync(Kube);
        Assert.Equal("kubernetes", replacement.Isolation);
        Assert.Equal(2, await b.Services.GetRequiredService<FleetLeases>().CountAsync("kube-fleet-limit"));
    }

    [Fact]
    public async Task A_silenced_brokers_cluster_sandbox_is_billed_once_by_the_survivor_which_deletes_its_claim()
    {
        var a = Start();
        await using var b = Start();
        var lost = await a.Over("kube-fleet-lost").CreateSandboxAsync(Kube);
        var claim = SandboxManifests.ClaimName(lost.Id);
        var started = DateTimeOffset.UtcNow;
        await a.SilenceAsync();

        await LocalProcess.WaitUntilAsync(async () => (await UsageOfAsync(lost.Id)).Length > 0 && !_api.LiveClaims.ContainsKey(claim),
            TimeSpan.FromSeconds(60), "the lost cluster sandbox to be billed and its claim deleted");

        var bill = Assert.Single(await UsageOfAsync(lost.Id));
        Assert.Equal("lost", bill.Status);
        Assert.True(lost.CreatedAt + TimeSpan.FromSeconds(bill.SandboxSeconds) <= started + TimeSpan.FromSeconds(1), "billed past the last heartbeat");
        Assert.Contains(claim, _api.DeletedClaims);
        Assert.Contains(("kube-fleet-lost", lost.Id), _credentials.RecoveredEnds);
        using (var get = await b.Over("kube-fleet-lost").GetAsync($"/v1/sandboxes/{lost.Id}"))
        {
            await BrokerCalls.AssertProblemAsync(get, 410);
        }
        Assert.Equal(0, await b.Services.GetRequiredService<FleetLeases>().CountAsync("kube-fleet-lost"));

        // The dead broker shutting down in order (its janitor ends what it held) bills nothing a second time.
        await a.DisposeAsync();
        Assert.Single(await UsageOfAsync(lost.Id));
    }
}
