using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

[Collection(ControlPlaneCollection.Name)]
public sealed class AuditTests(ControlPlaneFixture cp)
{
    [Fact]
    public async Task Every_change_is_audited_in_a_chain_that_verifies()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, _) = await cp.CreateKeyAsync(id);
        using var op = cp.Operator();
        await op.PatchAsJsonAsync($"/admin/v1/tenants/{id}", new { name = "Renamed" });
        await op.DeleteAsync($"/admin/v1/tenants/{id}/keys/{keyId}");
        using (var tenant = cp.Client(TestTenantContexts.Tenant(id)))
        {
            await tenant.PutAsJsonAsync("/v1/credentials/github", new { secret = "s" });
        }

        var audit = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/audit?tenantId={id}");

        Assert.True(audit.GetProperty("verified").GetBoolean());
        Assert.Equal(JsonValueKind.Null, audit.GetProperty("brokenAt").ValueKind);
        var actions = audit.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("action").GetString()!).ToArray();
        Assert.Equal(["tenant.created", "key.created", "tenant.updated", "key.revoked", "credential.written"], actions);
        Assert.Equal([1L, 2, 3, 4, 5], audit.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()));
    }

    [Theory]
    [InlineData("UPDATE audit_events SET detail = '{\"name\":\"innocent\"}' WHERE tenant_id = @t AND sequence = 2")]
    [InlineData("UPDATE audit_events SET actor = 'someone-else' WHERE tenant_id = @t AND sequence = 2")]
    [InlineData("UPDATE audit_events SET at = at + interval '1 hour' WHERE tenant_id = @t AND sequence = 2")]
    [InlineData("DELETE FROM audit_events WHERE tenant_id = @t AND sequence = 2")]
    public async Task Tampering_with_one_audit_row_is_detected(string tamper)
    {
        var id = await ThreeEventTenantAsync();
        await cp.OwnerScalarAsync(tamper, ("t", id));
        using var op = cp.Operator();

        var audit = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/audit?tenantId={id}");

        Assert.False(audit.GetProperty("verified").GetBoolean());
        Assert.Equal(2, audit.GetProperty("brokenAt").GetInt64());
    }

    [Fact]
    public async Task Removing_the_newest_event_is_detected_through_the_head()
    {
        var id = await ThreeEventTenantAsync();
        await cp.OwnerScalarAsync("DELETE FROM audit_events WHERE tenant_id = @t AND sequence = 3", ("t", id));
        using var op = cp.Operator();

        var audit = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/audit?tenantId={id}");

        Assert.False(audit.GetProperty("verified").GetBoolean());
        Assert.Equal(3, audit.GetProperty("brokenAt").GetInt64());
    }

    [Fact]
    public async Task A_tampered_row_of_tenant_b_does_not_break_tenant_a()
    {
        var (a, b) = (await ThreeEventTenantAsync(), await ThreeEventTenantAsync());
        await cp.OwnerScalarAsync("UPDATE audit_events SET action = 'x' WHERE tenant_id = @t AND sequence = 1", ("t", b));
        using var op = cp.Operator();

        var audit = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/audit?tenantId={a}");

        Assert.True(audit.GetProperty("verified").GetBoolean());
    }

    [Fact]
    public async Task Unknown_keys_are_audited_in_the_platform_trail()
    {
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key = "ac_zzzzzzzzzzzz_" + new string('Z', 40) });
        using var op = cp.Operator();

        var audit = await op.GetFromJsonAsync<JsonElement>("/admin/v1/audit");

        Assert.Equal("_platform", audit.GetProperty("tenantId").GetString());
        Assert.Contains(audit.GetProperty("events").EnumerateArray(), e =>
            e.GetProperty("action").GetString() == "key.refused"
            && e.GetProperty("detail").TryGetProperty("prefix", out var prefix) && prefix.GetString() == "zzzzzzzzzzzz");
        Assert.DoesNotContain(new string('Z', 40), audit.GetRawText());
    }

    private async Task<string> ThreeEventTenantAsync()
    {
        var id = await cp.CreateTenantAsync();
        await cp.CreateKeyAsync(id);
        using var op = cp.Operator();
        (await op.PatchAsJsonAsync($"/admin/v1/tenants/{id}", new { name = "Third event" })).EnsureSuccessStatusCode();
        return id;
    }
}
