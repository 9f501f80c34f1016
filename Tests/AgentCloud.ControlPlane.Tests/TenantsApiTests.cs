using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

[Collection(ControlPlaneCollection.Name)]
public sealed class TenantsApiTests(ControlPlaneFixture cp)
{
    [Fact]
    public async Task Created_tenant_takes_its_tier_defaults()
    {
        using var client = cp.Operator();

        var response = await client.PostAsJsonAsync("/admin/v1/tenants", new { name = "Acme", tier = "free" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var tenant = await response.Content.ReadFromJsonAsync<JsonElement>();
        var policy = tenant.GetProperty("policy");
        Assert.Equal("free", tenant.GetProperty("tier").GetString());
        Assert.Equal("active", tenant.GetProperty("status").GetString());
        Assert.Equal(60, policy.GetProperty("requestsPerMinute").GetInt32());
        Assert.Equal("shared", policy.GetProperty("inferencePlacement").GetString());
        Assert.Equal("closed", policy.GetProperty("rateLimitFailMode").GetString());
        Assert.Equal(["bubblewrap", "namespace"], policy.GetProperty("sandboxIsolationLevels").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["sim-small"], tenant.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.Equal($"/admin/v1/tenants/{tenant.GetProperty("id").GetString()}", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Enterprise_tier_gets_dedicated_placement_and_the_strongest_isolation()
    {
        var id = await cp.CreateTenantAsync(new { name = "Bank", tier = "enterprise" });
        using var client = cp.Operator();

        var tenant = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/tenants/{id}");

        var isolation = tenant.GetProperty("isolation");
        Assert.Equal("dedicated", isolation.GetProperty("inferencePlacement").GetString());
        Assert.Equal("dedicated", isolation.GetProperty("kvCachePolicy").GetString());
        Assert.Equal("dedicated-collection", isolation.GetProperty("memoryIsolation").GetString());
        Assert.True(isolation.GetProperty("dedicatedSandboxPool").GetBoolean());
        Assert.Equal("firecracker", isolation.GetProperty("sandboxIsolationLevels")[0].GetString());
        Assert.Equal(4, tenant.GetProperty("policy").GetProperty("fairShareWeight").GetDouble());
    }

    [Fact]
    public async Task Overrides_win_over_tier_defaults()
    {
        using var client = cp.Operator();

        var response = await client.PostAsJsonAsync("/admin/v1/tenants", new
        {
            name = "Override Inc",
            tier = "pro",
            models = new[] { new { id = "sim-large", maxContextTokens = 4096 } },
            tools = new[] { "search", "calculator" },
            egress = new[] { "api.github.com", "*.example.org" },
            isolation = new { kvCachePolicy = "off", sandboxIsolationLevels = new[] { "bubblewrap" } },
            policy = new { requestsPerMinute = 5, fairShareWeight = 0.5 },
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var policy = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("policy").Deserialize<TenantPolicy>(JsonSerializerOptions.Web)!;
        Assert.Equal(5, policy.RequestsPerMinute);
        Assert.Equal(60, policy.RequestBurst);
        Assert.Equal(0.5, policy.FairShareWeight);
        Assert.Equal(KvCachePolicy.Off, policy.KvCachePolicy);
        Assert.Equal(["bubblewrap"], policy.SandboxIsolationLevels);
        Assert.Equal([new ModelEntitlement("sim-large", 4096)], policy.Models);
        Assert.Equal(["calculator", "search"], policy.Tools);
        Assert.Equal(["*.example.org", "api.github.com"], policy.Egress);
    }

    [Fact]
    public async Task Tenant_can_be_read_listed_updated_and_deleted()
    {
        var id = await cp.CreateTenantAsync(new { name = "Lifecycle", tier = "free" });
        using var client = cp.Operator();

        var listed = await client.GetFromJsonAsync<JsonElement>("/admin/v1/tenants");
        Assert.Contains(listed.EnumerateArray(), t => t.GetProperty("id").GetString() == id);

        var patch = await client.PatchAsJsonAsync($"/admin/v1/tenants/{id}", new { name = "Lifecycle 2", tier = "pro", policy = new { requestsPerMinute = 7 } });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var read = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/tenants/{id}");
        Assert.Equal("Lifecycle 2", read.GetProperty("name").GetString());
        Assert.Equal("pro", read.GetProperty("tier").GetString());
        Assert.Equal(7, read.GetProperty("policy").GetProperty("requestsPerMinute").GetInt32());
        Assert.Equal(200_000, read.GetProperty("policy").GetProperty("tokensPerMinute").GetInt64());

        var delete = await client.DeleteAsync($"/admin/v1/tenants/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/admin/v1/tenants/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_later_patch_keeps_earlier_overrides_it_does_not_mention()
    {
        var id = await cp.CreateTenantAsync(new { name = "Merge", tier = "pro", policy = new { requestsPerMinute = 9 } });
        using var client = cp.Operator();

        var patch = await client.PatchAsJsonAsync($"/admin/v1/tenants/{id}", new { isolation = new { inferencePlacement = "dedicated" } });

        var policy = (await patch.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("policy");
        Assert.Equal(9, policy.GetProperty("requestsPerMinute").GetInt32());
        Assert.Equal("dedicated", policy.GetProperty("inferencePlacement").GetString());
    }

    [Fact]
    public async Task A_policy_change_is_published_for_policy_caches()
    {
        var id = await cp.CreateTenantAsync();
        var messages = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.PolicyChanged);
        using var client = cp.Operator();

        await client.PatchAsJsonAsync($"/admin/v1/tenants/{id}", new { policy = new { requestsPerMinute = 11 } });

        Assert.Equal(id, await messages.NextAsync(m => m == id));
    }

    [Fact]
    public async Task Offboarding_revokes_keys_deletes_rows_and_vault_entries_and_is_published()
    {
        var id = await cp.CreateTenantAsync(new { name = "Leaving", tier = "pro", tools = new[] { "search" }, models = new[] { new { id = "sim-small" } } });
        var (keyId, key) = await cp.CreateKeyAsync(id);
        using (var tenant = cp.Client(TestTenantContexts.Tenant(id)))
        {
            (await tenant.PutAsJsonAsync("/v1/credentials/github", new { secret = "ghp_leaving" })).EnsureSuccessStatusCode();
        }
        var revoked = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.KeyRevoked);
        var offboarded = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.TenantOffboarded);
        using var client = cp.Operator();

        var response = await client.DeleteAsync($"/admin/v1/tenants/{id}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(keyId, await revoked.NextAsync(m => m == keyId));
        Assert.Equal(id, await offboarded.NextAsync(m => m == id));
        foreach (var table in new[] { "tenants", "tenant_models", "tenant_allowlist", "api_keys", "vault_keys", "vault_secrets" })
        {
            Assert.Equal(0, await cp.OwnerScalarAsync($"SELECT count(*) FROM {table} WHERE tenant_id = @t", ("t", id)));
        }
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        await ProblemAssert.IsProblemAsync(await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key }), HttpStatusCode.NotFound);
        var audit = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/audit?tenantId={id}");
        Assert.True(audit.GetProperty("verified").GetBoolean());
        Assert.Contains(audit.GetProperty("events").EnumerateArray(), e => e.GetProperty("action").GetString() == "tenant.offboarded");
    }
}
