using System.Net;
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
    public async Task A_flood_of_unknown_keys_adds_no_audit_row_per_call()
    {
        using var op = cp.Operator();
        var before = await PlatformTrailLengthAsync(op);
        using var gateway = cp.Client(TestTenantContexts.Gateway);

        for (var i = 0; i < 30; i++)
        {
            var response = await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key = "ac_zzzzzzzzzzzz_" + Guid.NewGuid().ToString("N") + "ZZZZZZZZ" });
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        // Keys that name no tenant are counted by the Gateways, which send one entry per window (see PlatformAuditTests).
        Assert.Equal(before, await PlatformTrailLengthAsync(op));
    }

    [Fact]
    public async Task The_audit_api_pages_through_a_trail_with_a_cursor_and_verifies_every_page()
    {
        var id = await cp.CreateTenantAsync();
        for (var i = 0; i < 6; i++)
        {
            await cp.CreateKeyAsync(id);
        }
        using var op = cp.Operator();
        var all = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/audit?tenantId={id}&limit=1000");
        var expected = all.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).ToList();

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/audit?tenantId={id}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            Assert.True(page.GetProperty("verified").GetBoolean());
            var events = page.GetProperty("events").EnumerateArray().ToList();
            Assert.InRange(events.Count, 1, 2);
            seen.AddRange(events.Select(e => e.GetProperty("sequence").GetInt64()));
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(7, expected.Count);
        Assert.Equal(expected, seen);
        Assert.Equal(JsonValueKind.Null, all.GetProperty("nextCursor").ValueKind);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=1001")]
    [InlineData("limit=ten")]
    [InlineData("cursor=-1")]
    [InlineData("cursor=abc")]
    public async Task A_bad_page_request_is_a_400_problem(string query)
    {
        using var op = cp.Operator();

        var response = await op.GetAsync("/admin/v1/audit?" + query);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    private static async Task<int> PlatformTrailLengthAsync(HttpClient op)
    {
        var count = 0;
        string? cursor = null;
        do
        {
            var page = await op.GetFromJsonAsync<JsonElement>("/admin/v1/audit?limit=1000" + (cursor is null ? "" : $"&cursor={cursor}"));
            count += page.GetProperty("events").GetArrayLength();
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        return count;
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
