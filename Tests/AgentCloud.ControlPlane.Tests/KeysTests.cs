using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Extensions;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentCloud.ControlPlane.Tests;

[Collection(ControlPlaneCollection.Name)]
public sealed class KeysTests(ControlPlaneFixture cp)
{
    [Fact]
    public async Task Created_key_resolves_to_its_tenant_principal_capabilities_and_policy()
    {
        var id = await cp.CreateTenantAsync(new { name = "Resolver", tier = "pro", tools = new[] { "search" }, policy = new { requestsPerMinute = 42 } });
        var (keyId, key) = await cp.CreateKeyAsync(id, new { name = "agent", capabilities = new[] { "inference", "tool:search" } });
        using var gateway = cp.Client(TestTenantContexts.Gateway);

        var response = await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new ResolveKeyRequest(key));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var resolved = (await response.Content.ReadFromJsonAsync<ResolvedKey>())!;
        Assert.Equal(keyId, resolved.KeyId);
        Assert.Equal(id, resolved.TenantId);
        Assert.Equal("pro", resolved.Tier);
        Assert.Equal($"key:{keyId}", resolved.Principal);
        Assert.Equal(["inference", "tool:search"], resolved.Capabilities);
        Assert.Equal(42, resolved.Policy.RequestsPerMinute);
        Assert.Equal(["search"], resolved.Policy.Tools);
    }

    [Fact]
    public async Task A_key_without_capabilities_gets_the_basic_ones()
    {
        var id = await cp.CreateTenantAsync();
        var (_, key) = await cp.CreateKeyAsync(id);
        using var gateway = cp.Client(TestTenantContexts.Gateway);

        var resolved = await (await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key })).Content.ReadFromJsonAsync<ResolvedKey>();

        Assert.Equal(["inference", "memory:read", "memory:write", "sandbox", "usage:read"], resolved!.Capabilities);
    }

    [Fact]
    public async Task The_key_is_shown_once_and_its_plain_text_is_nowhere_in_the_database()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, key) = await cp.CreateKeyAsync(id);
        using var client = cp.Operator();

        var listed = await client.GetStringAsync($"/admin/v1/tenants/{id}/keys");

        Assert.Contains(keyId, listed);
        Assert.DoesNotContain(key, listed);
        var secretPart = key.Split('_')[2];
        await foreach (var text in AllRowsAsText())
        {
            Assert.DoesNotContain(secretPart, text);
        }
    }

    [Fact]
    public async Task Revoked_key_resolves_to_nothing_and_the_revocation_is_published()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, key) = await cp.CreateKeyAsync(id);
        var revoked = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.KeyRevoked);
        using var client = cp.Operator();
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        Assert.Equal(HttpStatusCode.OK, (await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key })).StatusCode);

        var response = await client.DeleteAsync($"/admin/v1/tenants/{id}/keys/{keyId}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(keyId, await revoked.NextAsync(m => m == keyId));
        await ProblemAssert.IsProblemAsync(await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key }), HttpStatusCode.NotFound);
        var keys = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/tenants/{id}/keys");
        Assert.NotEqual(JsonValueKind.Null, keys[0].GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task A_key_of_a_suspended_tenant_resolves_to_nothing_until_it_is_active_again()
    {
        var id = await cp.CreateTenantAsync();
        var (_, key) = await cp.CreateKeyAsync(id);
        using var client = cp.Operator();
        using var gateway = cp.Client(TestTenantContexts.Gateway);

        await client.PatchAsJsonAsync($"/admin/v1/tenants/{id}", new { status = "suspended" });
        var whileSuspended = await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key });
        await client.PatchAsJsonAsync($"/admin/v1/tenants/{id}", new { status = "active" });
        var afterwards = await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key });

        await ProblemAssert.IsProblemAsync(whileSuspended, HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ac_short_key")]
    [InlineData("not-a-key-at-all")]
    [InlineData("ac_abcdefghijkl_0123456789012345678901234567890123456789")]
    public async Task Malformed_or_unknown_keys_resolve_to_404(string key)
    {
        using var gateway = cp.Client(TestTenantContexts.Gateway);

        var response = await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key });

        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(response, response.StatusCode);
    }

    [Fact]
    public async Task A_key_with_the_right_prefix_but_a_wrong_secret_is_refused_and_audited_once_per_window_with_a_count()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, key) = await cp.CreateKeyAsync(id);
        var forged = key[..^4] + (key[^4..] == "AAAA" ? "BBBB" : "AAAA");
        using var gateway = cp.Client(TestTenantContexts.Gateway);

        var window = cp.Factory.Services.GetRequiredService<IOptions<ControlPlaneOptions>>().Value.RefusalAuditWindow;
        var flood = Stopwatch.StartNew();
        for (var i = 0; i < 25; i++)
        {
            await ProblemAssert.IsProblemAsync(await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key = forged }), HttpStatusCode.NotFound);
        }
        var elapsed = flood.Elapsed;
        await cp.Factory.Services.GetRequiredService<RefusedKeyAuditFlusher>().FlushAsync(DateTimeOffset.UtcNow.AddMinutes(-1), CancellationToken.None);

        using var client = cp.Operator();
        var audit = await client.GetFromJsonAsync<JsonElement>($"/admin/v1/audit?tenantId={id}");
        // The background flusher may close a window while the flood runs, so the 25 refusals can fall into two
        // entries; what holds is one entry per window (not per call) and every refusal counted exactly once.
        var refused = audit.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("action").GetString() == RefusedKeyAuditFlusher.Action).ToList();
        Assert.InRange(refused.Count, 1, 2 + (int)(elapsed / window));
        Assert.Equal(25, refused.Sum(e => e.GetProperty("detail").GetProperty("count").GetInt64()));
        Assert.Equal(25, refused.Sum(e => e.GetProperty("detail").GetProperty("keys").GetProperty(keyId).GetInt64()));
        Assert.Equal(25, refused.Sum(e => e.GetProperty("detail").GetProperty("reasons").GetProperty("secret does not match").GetInt64()));
        Assert.DoesNotContain(forged, audit.GetRawText());
    }

    public static TheoryData<string> NotTheGateway => new() { "tenant", "operator", "tenant-claiming-gateway" };

    [Theory]
    [MemberData(nameof(NotTheGateway))]
    public async Task Key_resolution_is_refused_to_anyone_but_the_gateway(string who)
    {
        var id = await cp.CreateTenantAsync();
        var (_, key) = await cp.CreateKeyAsync(id);
        var context = who switch
        {
            "tenant" => TestTenantContexts.Tenant(id),
            "operator" => TestTenantContexts.Operator,
            _ => TestTenantContexts.Tenant(id, "pro", AgentCloud.Platform.Tenancy.TenantContext.GatewayCapability),
        };
        using var client = cp.Client(context);

        var response = await client.PostAsJsonAsync("/internal/v1/keys/resolve", new { key });

        var detail = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.DoesNotContain(id, detail);
    }

    [Fact]
    public async Task Key_resolution_without_any_context_is_401()
    {
        using var client = cp.Factory.CreateClient();

        var response = await client.PostAsJsonAsync("/internal/v1/keys/resolve", new { key = "ac_x" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_key_of_tenant_b_cannot_be_revoked_through_tenant_a()
    {
        var a = await cp.CreateTenantAsync();
        var b = await cp.CreateTenantAsync();
        var (bKeyId, bKey) = await cp.CreateKeyAsync(b);
        using var client = cp.Operator();

        var response = await client.DeleteAsync($"/admin/v1/tenants/{a}/keys/{bKeyId}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        Assert.Equal(HttpStatusCode.OK, (await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key = bKey })).StatusCode);
    }

    private async IAsyncEnumerable<string> AllRowsAsText()
    {
        await using var conn = new NpgsqlConnection(cp.OwnerConnectionString);
        await conn.OpenAsync();
        foreach (var table in new[] { "tenants", "tenant_models", "tenant_allowlist", "api_keys", "vault_keys", "vault_secrets", "audit_events", "audit_heads" })
        {
            await using var cmd = new NpgsqlCommand($"SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM {table} t", conn);
            yield return (string)(await cmd.ExecuteScalarAsync())!;
        }
    }
}
