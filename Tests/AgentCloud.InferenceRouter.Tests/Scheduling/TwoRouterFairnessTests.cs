using System.Collections.Concurrent;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.InferenceRouter.Tests.Scheduling;

/// <summary>
/// Two real routers sharing one Redis in front of one simulator, calls split between them as a load balancer would:
/// the shared endpoint's cap holds for both together, as the simulator itself counts. Alone in its collection: a flood.
/// </summary>
[Collection(RouterFairnessCollection.Name)]
public sealed class TwoRouterFairnessTests : IAsyncLifetime
{
    private const int Cap = 3;
    private readonly RedisServerFixture _redis = new();
    private readonly FixedPolicies _policies = new();
    private readonly ConcurrentCallsProbe _probe = new();
    private SimulatorHost _simulator = null!;
    private RouterHost[] _routers = [];

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _simulator = new SimulatorHost("fair-two", ["sim-small"], new Dictionary<string, string?> { ["ModelSimulator:TpotMs"] = "2" },
            services: s => s.AddSingleton<IStartupFilter>(_probe));
        _routers = [.. Enumerable.Range(0, 2).Select(_ => new RouterHost(_redis.ConnectionString, _policies, [new("fair-two", _simulator)],
            extraSettings: new Dictionary<string, string?>
            {
                ["InferenceRouter:Scheduler:MaxInFlight"] = Cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["InferenceRouter:Scheduler:MaxQueuedPerTenant"] = "500",
                ["InferenceRouter:Scheduler:MaxWait"] = "00:02:00",
            }))];
    }

    public async Task DisposeAsync()
    {
        foreach (var router in _routers)
        {
            router.Dispose();
        }
        _simulator.Dispose();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Two_routers_together_never_send_the_shared_endpoint_more_calls_than_its_cap_and_serve_every_call()
    {
        var heavy = _policies.Add("pro");
        var light = _policies.Add("pro");
        var clients = _routers.SelectMany(r => new[] { (Tenant: heavy.TenantId, Client: r.ClientFor(heavy)), (Tenant: light.TenantId, Client: r.ClientFor(light)) }).ToList();
        var statuses = new ConcurrentBag<int>();

        // Ten heavy calls for each light one, alternating between the routers.
        await Task.WhenAll(Enumerable.Range(0, 88).Select(async i =>
        {
            var tenant = i % 11 == 0 ? light.TenantId : heavy.TenantId;
            var client = clients.Where(c => c.Tenant == tenant).ElementAt(i % 2).Client;
            using var response = await Chat.PostAsync(client, Chat.Body($"{tenant} call {i}", extra: b => b["max_tokens"] = 8));
            await response.Content.ReadAsStringAsync();
            statuses.Add((int)response.StatusCode);
        }));

        Assert.All(statuses, s => Assert.Equal(200, s));
        Assert.Equal(88, statuses.Count);
        Assert.InRange(_probe.Most, 1, Cap);
        foreach (var (_, client) in clients)
        {
            client.Dispose();
        }
    }
}
