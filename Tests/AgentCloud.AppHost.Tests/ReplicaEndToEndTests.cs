using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentCloud.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// The default topology (AgentCloud:Replicas = 2): two copies each of the Gateway and the InferenceRouter, each in a
/// process of its own, both serving traffic that enters by the one public port, and a revocation made through that
/// port refused by every Gateway copy, reached directly behind DCP's proxy as a client of that copy would be.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ReplicaEndToEndTests(PlatformFixture platform)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("gateway")]
    [InlineData("inference-router")]
    public async Task Two_copies_of_the_service_run_healthy_each_in_a_process_of_its_own(string service)
    {
        var replicas = await PlatformReplicas.OfAsync(platform.App, service);

        Assert.Equal(2, replicas.Count);
        var snapshots = replicas.Select(r => PlatformReplicas.Snapshot(platform.App, r)).ToList();
        Assert.All(snapshots, s => Assert.Equal((KnownResourceStates.Running, (HealthStatus?)HealthStatus.Healthy), (s.State?.Text, s.HealthStatus)));
        Assert.Equal(2, snapshots.Select(ListeningPorts.ProcessIdOf).Distinct().Count());
    }

    [Fact]
    public async Task Calls_through_the_public_port_are_served_by_both_gateway_copies_and_both_router_copies()
    {
        var (_, key) = await platform.NewTenantAsync("pro", "replicas");
        var gateways = await PlatformReplicas.OfAsync(platform.App, "gateway");
        var routers = await PlatformReplicas.OfAsync(platform.App, "inference-router");
        var servedBy = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);

        // DCP's proxy spreads connections, not requests: each call on a connection of its own, several at once.
        for (var round = 0; round < 10 && !gateways.Concat(routers).All(servedBy.ContainsKey); round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
            {
                using var client = platform.Gateway().As(key);
                using var response = await PlatformTenants.PatientlyAsync(() => client.GetAsync("/v1/models"));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                foreach (var instance in response.Headers.GetValues(ServedByHeader.HeaderName))
                {
                    servedBy.AddOrUpdate(instance, 1, (_, n) => n + 1);
                }
            }));
        }

        Assert.Equal(gateways.Concat(routers).Order(), servedBy.Keys.Order());
    }

    [Fact]
    public async Task A_key_revoked_through_the_public_port_is_refused_by_every_gateway_copy()
    {
        var (tenantId, _) = await platform.NewTenantAsync("pro", "replica-revoke");
        using var operatorClient = platform.Operator();
        var created = JsonNode.Parse(await (await operatorClient.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "leaked" })).Content.ReadAsStringAsync())!;
        var key = created["key"]!.GetValue<string>();
        var copies = await GatewayCopiesAsync(key);
        foreach (var copy in copies)
        {
            // Each copy has the key in its own cache before the revocation, the case revocation must reach.
            Assert.Equal(HttpStatusCode.OK, (await PlatformTenants.PatientlyAsync(() => copy.GetAsync("/v1/models"))).StatusCode);
        }

        var revoked = await operatorClient.DeleteAsync($"/admin/v1/tenants/{tenantId}/keys/{created["id"]!.GetValue<string>()}");

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        foreach (var copy in copies)
        {
            await WaitForStatusAsync(copy, HttpStatusCode.Unauthorized, $"the revoked key to be refused by the Gateway copy at {copy.BaseAddress}");
            using var refused = await copy.GetAsync("/v1/models");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }
        foreach (var copy in copies)
        {
            copy.Dispose();
        }
    }

    /// <summary>A client of each Gateway copy on the port that copy itself listens on (DCP's proxy holds the public one).</summary>
    private async Task<List<HttpClient>> GatewayCopiesAsync(string key)
    {
        var clients = new List<HttpClient>();
        foreach (var replica in await PlatformReplicas.OfAsync(platform.App, "gateway"))
        {
            var pid = ListeningPorts.ProcessIdOf(PlatformReplicas.Snapshot(platform.App, replica));
            var port = Assert.Single(ListeningPorts.Of(pid), p => p != platform.Args.GatewayPort);
            clients.Add(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") }.As(key));
        }
        return clients;
    }

    /// <summary>Polls until the copy answers <paramref name="status"/>, for at most <see cref="Bound"/> (a bound, not a timing assertion).</summary>
    private static async Task WaitForStatusAsync(HttpClient client, HttpStatusCode status, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Bound;
        while ((await client.GetAsync("/v1/models")).StatusCode != status)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
