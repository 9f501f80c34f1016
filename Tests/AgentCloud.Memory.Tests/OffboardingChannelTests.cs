using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentCloud.Memory.Tests.Support;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using StackExchange.Redis;

namespace AgentCloud.Memory.Tests;

/// <summary>The ControlPlane's offboarding message on Redis deletes that tenant's memory, and only that tenant's.</summary>
[Collection(PgvectorCollection.Name)]
public sealed class OffboardingChannelTests(PgvectorBackend backend) : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private MemoryApp _app = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _app = MemoryApp.OnPgvector(backend.ConnectionString, _redis.ConnectionString);
    }

    [Fact]
    public async Task A_tenant_offboarded_message_deletes_that_tenants_points_in_both_modes_and_nothing_else()
    {
        var shared = TestTenantContexts.Tenant("shr-gone-" + Guid.NewGuid().ToString("N"));
        var dedicated = TestTenantContexts.Tenant(FixedTenantPolicies.DedicatedPrefix + "gone-" + Guid.NewGuid().ToString("N"));
        var bystander = TestTenantContexts.Tenant("shr-stays-" + Guid.NewGuid().ToString("N"));
        foreach (var tenant in new[] { shared, dedicated, bystander })
        {
            using var client = _app.ClientFor(tenant);
            using var put = await client.PutAsJsonAsync("/v1/memory/notes/points", JsonNode.Parse("""{"points":[{"id":1,"vector":[1,0]}]}"""));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        foreach (var tenant in new[] { shared, dedicated })
        {
            using var client = _app.ClientFor(tenant);
            await LocalProcess.WaitUntilAsync(async () =>
            {
                // Published until the listener (subscribing in the background at start) has received it.
                await _redis.Connection.GetSubscriber().PublishAsync(RedisChannel.Literal(PlatformChannels.TenantOffboarded), tenant.TenantId);
                using var search = await client.PostAsJsonAsync("/v1/memory/notes/search", JsonNode.Parse("""{"vector":[1,0]}"""));
                return search.StatusCode == HttpStatusCode.NotFound;
            }, TimeSpan.FromSeconds(20), $"offboarding of {tenant.TenantId}");
        }

        using var stays = _app.ClientFor(bystander);
        using var remaining = await stays.PostAsJsonAsync("/v1/memory/notes/search", JsonNode.Parse("""{"vector":[1,0]}"""));
        Assert.Equal(HttpStatusCode.OK, remaining.StatusCode);
        Assert.Single(JsonNode.Parse(await remaining.Content.ReadAsStringAsync())!["results"]!.AsArray());
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
