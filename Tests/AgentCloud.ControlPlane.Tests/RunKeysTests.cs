using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using StackExchange.Redis;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Keys minted for one agent run: bound to tenant and run, a subset of the caller's powers, dead when the run ends.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class RunKeysTests(ControlPlaneFixture cp)
{
    private static TenantContext Broker(string tenantId, params string[] capabilities) =>
        TestTenantContexts.Tenant(tenantId, "pro", capabilities.Length == 0 ? ["inference", "memory:read", "memory:write", "sandbox"] : capabilities);

    private async Task<RunKey> MintAsync(string tenantId, string runId, object? capabilities = null)
    {
        using var client = cp.Client(Broker(tenantId));
        var response = await client.PostAsJsonAsync("/internal/v1/run-keys", new { runId, capabilities, ttlSeconds = 600 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RunKey>())!;
    }

    private async Task<HttpResponseMessage> ResolveAsync(string key)
    {
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        return await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new ResolveKeyRequest(key));
    }

    [Fact]
    public async Task A_run_key_resolves_to_its_tenant_and_run_with_the_inference_and_memory_capabilities_only()
    {
        var tenant = await cp.CreateTenantAsync();

        var minted = await MintAsync(tenant, "sbx_run1");

        var resolved = (await (await ResolveAsync(minted.Key)).Content.ReadFromJsonAsync<ResolvedKey>())!;
        Assert.Equal(tenant, resolved.TenantId);
        Assert.Equal("sbx_run1", resolved.RunId);
        Assert.Equal(["inference", "memory:read", "memory:write"], resolved.Capabilities);
        Assert.DoesNotContain("sandbox", resolved.Capabilities);
        Assert.Equal(minted.ExpiresAt, resolved.ExpiresAt);
        Assert.InRange(minted.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(500), TimeSpan.FromSeconds(601));
    }

    [Fact]
    public async Task Revoking_the_run_refuses_its_key_and_tells_every_gateway()
    {
        var tenant = await cp.CreateTenantAsync();
        var minted = await MintAsync(tenant, "sbx_run2");
        var revocations = await cp.Redis.Connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(PlatformChannels.KeyRevoked));
        using var broker = cp.Client(Broker(tenant));

        var response = await broker.DeleteAsync("/internal/v1/run-keys/sbx_run2");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ResolveAsync(minted.Key)).StatusCode);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await revocations.ReadAsync(timeout.Token);
        Assert.Equal(minted.Id, message.Message.ToString());
    }

    [Fact]
    public async Task Another_tenant_revoking_the_same_run_id_leaves_the_key_working()
    {
        var tenantA = await cp.CreateTenantAsync();
        var tenantB = await cp.CreateTenantAsync();
        var minted = await MintAsync(tenantA, "sbx_shared_name");
        using var intruder = cp.Client(Broker(tenantB));

        var response = await intruder.DeleteAsync("/internal/v1/run-keys/sbx_shared_name");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ResolveAsync(minted.Key)).StatusCode);
    }

    [Fact]
    public async Task The_run_ended_message_revokes_the_runs_keys()
    {
        var tenant = await cp.CreateTenantAsync();
        var minted = await MintAsync(tenant, "sbx_run3");

        await cp.Redis.Connection.GetSubscriber().PublishAsync(RedisChannel.Literal(PlatformChannels.RunEnded),
            JsonSerializer.Serialize(new RunEnded(tenant, "sbx_run3"), JsonSerializerOptions.Web));

        var status = HttpStatusCode.OK;
        for (var i = 0; i < 100 && status == HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            status = (await ResolveAsync(minted.Key)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task An_expired_run_key_is_refused_even_though_nobody_revoked_it()
    {
        var tenant = await cp.CreateTenantAsync();
        var minted = await MintAsync(tenant, "sbx_run4");

        await cp.OwnerScalarAsync("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE key_id = @id", ("id", minted.Id));

        Assert.Equal(HttpStatusCode.NotFound, (await ResolveAsync(minted.Key)).StatusCode);
    }

    [Theory]
    [InlineData("sandbox")]
    [InlineData("platform:credential-injection")]
    [InlineData("tool:search")]
    public async Task A_run_key_cannot_carry_sandbox_platform_or_powers_the_caller_lacks(string capability)
    {
        var tenant = await cp.CreateTenantAsync();
        using var client = cp.Client(Broker(tenant));

        var response = await client.PostAsJsonAsync("/internal/v1/run-keys", new { runId = "sbx_x", capabilities = new[] { "inference", capability }, ttlSeconds = 60 });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Only_a_tenant_caller_allowed_to_make_sandboxes_may_mint_run_keys()
    {
        var tenant = await cp.CreateTenantAsync();
        var body = new { runId = "sbx_y", ttlSeconds = 60 };
        var callers = new[]
        {
            TestTenantContexts.Tenant(tenant, "pro", "inference", "memory:read"),
            TestTenantContexts.Tenant(tenant, "pro", "inference", "sandbox") with { RunId = "sbx_parent" },
            TestTenantContexts.Operator,
            TestTenantContexts.Gateway,
        };
        foreach (var caller in callers)
        {
            using var client = cp.Client(caller);
            await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/internal/v1/run-keys", body), HttpStatusCode.Forbidden);
        }
    }

    [Theory]
    [InlineData(null, 60)]
    [InlineData("has space", 60)]
    [InlineData("sbx_ok", 0)]
    [InlineData("sbx_ok", 86401)]
    public async Task Bad_run_key_requests_are_400(string? runId, int ttlSeconds)
    {
        var tenant = await cp.CreateTenantAsync();
        using var client = cp.Client(Broker(tenant));

        var response = await client.PostAsJsonAsync("/internal/v1/run-keys", new { runId, ttlSeconds });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_key_made_for_batch_work_resolves_with_the_batch_lane()
    {
        var tenant = await cp.CreateTenantAsync();
        var (_, batchKey) = await cp.CreateKeyAsync(tenant, new { name = "nightly", defaultLane = "batch" });
        var (_, plainKey) = await cp.CreateKeyAsync(tenant);

        var batch = (await (await ResolveAsync(batchKey)).Content.ReadFromJsonAsync<ResolvedKey>())!;
        var plain = (await (await ResolveAsync(plainKey)).Content.ReadFromJsonAsync<ResolvedKey>())!;

        Assert.Equal("batch", batch.DefaultLane);
        Assert.Equal("interactive", plain.DefaultLane);
    }

    [Fact]
    public async Task An_unknown_default_lane_is_400()
    {
        var tenant = await cp.CreateTenantAsync();
        using var client = cp.Operator();

        var response = await client.PostAsJsonAsync($"/admin/v1/tenants/{tenant}/keys", new { name = "x", defaultLane = "urgent" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }
}
