using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>
/// A run's end travels on the durable control-event stream: a ControlPlane that was down when the broker announced it
/// revokes the run's keys when it starts again. The ControlPlane here has a Redis of its own, so no live replica of the
/// collection's ControlPlane can handle the event in its place.
/// </summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class RunEndReplayTests(ControlPlaneFixture cp)
{
    [Fact]
    public async Task A_run_end_announced_while_the_ControlPlane_was_down_revokes_the_runs_keys_when_it_starts()
    {
        var redis = new RedisServerFixture();
        await redis.InitializeAsync();
        try
        {
            await RunEndWhileDownAsync(redis);
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }

    private async Task RunEndWhileDownAsync(RedisServerFixture redis)
    {
        var tenant = await cp.CreateTenantAsync();
        var minted = await MintAsync(tenant, "sbx_down1");
        var db = redis.Connection.GetDatabase();

        await using (var first = ControlPlaneOn(redis))
        {
            first.CreateClient().Dispose(); // starts it: its group on the control-event stream is made
            await LocalProcess.WaitUntilAsync(async () => await db.KeyExistsAsync(ControlEventStream.StreamName)
                    && (await db.StreamGroupInfoAsync(ControlEventStream.StreamName)).Any(g => g.Name == ServiceNames.ControlPlane),
                TimeSpan.FromSeconds(15), "the ControlPlane's control-event group");
        }

        // The broker announces the end while no ControlPlane listens.
        await ControlEventStream.PublishAsync(redis.Connection, PlatformChannels.RunEnded,
            JsonSerializer.Serialize(new RunEnded(tenant, "sbx_down1"), JsonSerializerOptions.Web));
        Assert.Equal(HttpStatusCode.OK, (await ResolveAsync(minted.Key)).StatusCode);

        await using var restarted = ControlPlaneOn(redis);
        restarted.CreateClient().Dispose();
        await LocalProcess.WaitUntilAsync(async () => (await ResolveAsync(minted.Key)).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(15), "the missed run end to revoke the run key");
        await LocalProcess.WaitUntilAsync(async () =>
        {
            var group = (await db.StreamGroupInfoAsync(ControlEventStream.StreamName)).Single(g => g.Name == ServiceNames.ControlPlane);
            return group.PendingMessageCount == 0 && group.Lag == 0;
        }, TimeSpan.FromSeconds(15), "the run end to be acknowledged");
    }

    [Fact]
    public async Task A_run_end_for_another_tenants_run_id_leaves_the_key_working()
    {
        var owner = await cp.CreateTenantAsync();
        var other = await cp.CreateTenantAsync();
        var minted = await MintAsync(owner, "sbx_shared_end");

        await ControlEventStream.PublishAsync(cp.Redis.Connection, PlatformChannels.RunEnded,
            JsonSerializer.Serialize(new RunEnded(other, "sbx_shared_end"), JsonSerializerOptions.Web));
        var marker = await MintAsync(other, "sbx_shared_end");
        await ControlEventStream.PublishAsync(cp.Redis.Connection, PlatformChannels.RunEnded,
            JsonSerializer.Serialize(new RunEnded(other, "sbx_shared_end"), JsonSerializerOptions.Web));

        // Once the second end has revoked the other tenant's own key, the first end was handled long before.
        await LocalProcess.WaitUntilAsync(async () => (await ResolveAsync(marker.Key)).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(15), "the other tenant's run end to be handled");
        Assert.Equal(HttpStatusCode.OK, (await ResolveAsync(minted.Key)).StatusCode);
    }

    private WebApplicationFactory<Program> ControlPlaneOn(RedisServerFixture redis) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:controlplane-db", cp.OwnerConnectionString);
            web.UseSetting("ConnectionStrings:redis", redis.ConnectionString);
            web.UseSetting("TenantContext:StaticJwks", TestTenantContexts.Jwks);
            web.UseSetting("ControlPlane:VaultMasterKey", ControlPlaneFixture.MasterKey);
            web.UseSetting("ControlPlane:ToolInjectionKey", ControlPlaneFixture.ToolInjectionKey);
            foreach (var (key, value) in SimulatedModels.ControlPlaneSettings)
            {
                web.UseSetting(key, value);
            }
        });

    private async Task<RunKey> MintAsync(string tenantId, string runId)
    {
        using var client = cp.Client(TestTenantContexts.Tenant(tenantId, "pro", ["inference", "memory:read", "memory:write", "sandbox"]));
        var response = await client.PostAsJsonAsync("/internal/v1/run-keys", new { runId, capabilities = (string[]?)null, ttlSeconds = 600 });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RunKey>())!;
    }

    private async Task<HttpResponseMessage> ResolveAsync(string key)
    {
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        return await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new ResolveKeyRequest(key));
    }
}
