using System.Net;
using System.Net.Http.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Suspension takes effect at once: run keys revoked and announced, the suspension announced for the broker and the Gateways.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class SuspensionTests(ControlPlaneFixture cp)
{
    [Fact]
    public async Task Suspending_revokes_the_tenants_run_keys_and_announces_it_on_every_channel()
    {
        var tenant = await cp.CreateTenantAsync();
        using var broker = cp.Client(TestTenantContexts.Tenant(tenant));
        var minted = await (await broker.PostAsJsonAsync("/internal/v1/run-keys", new { runId = "sbx_suspended", ttlSeconds = 600 }))
            .Content.ReadFromJsonAsync<RunKey>();
        var revoked = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.KeyRevoked);
        var changed = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.PolicyChanged);
        var suspended = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.TenantSuspended);
        using var op = cp.Operator();

        (await op.PatchAsJsonAsync($"/admin/v1/tenants/{tenant}", new { status = "suspended" })).EnsureSuccessStatusCode();

        Assert.NotNull(await revoked.NextAsync(m => m == minted!.Id));
        Assert.NotNull(await changed.NextAsync(m => m == tenant));
        Assert.NotNull(await suspended.NextAsync(m => m == tenant));
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        (await op.PatchAsJsonAsync($"/admin/v1/tenants/{tenant}", new { status = "active" })).EnsureSuccessStatusCode();
        // Reactivation does not revive the run's key: the run it belonged to has ended.
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key = minted!.Key })).StatusCode);
    }

    [Fact]
    public async Task Reactivating_announces_the_change_so_gateways_resolve_the_keys_again()
    {
        var tenant = await cp.CreateTenantAsync();
        var (_, key) = await cp.CreateKeyAsync(tenant);
        using var op = cp.Operator();
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        (await op.PatchAsJsonAsync($"/admin/v1/tenants/{tenant}", new { status = "suspended" })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key })).StatusCode);
        var changed = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.PolicyChanged);

        (await op.PatchAsJsonAsync($"/admin/v1/tenants/{tenant}", new { status = "active" })).EnsureSuccessStatusCode();

        Assert.NotNull(await changed.NextAsync(m => m == tenant));
        Assert.Equal(HttpStatusCode.OK, (await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key })).StatusCode);
    }
}
