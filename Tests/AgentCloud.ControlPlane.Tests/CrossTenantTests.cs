using System.Net;
using System.Net.Http.Json;
using System.Text;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Tenant B tries every ControlPlane API against tenant A's things: 404 or 403, and nothing of A's leaks or changes.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class CrossTenantTests(ControlPlaneFixture cp)
{
    [Fact]
    public async Task A_tenant_reads_its_own_policy()
    {
        var a = await cp.CreateTenantAsync(new { name = "A", tier = "free" });
        using var client = cp.Client(TestTenantContexts.Tenant(a, "free"));

        var policy = await client.GetFromJsonAsync<TenantPolicy>($"/internal/v1/tenants/{a}/policy");

        Assert.Equal(a, policy!.TenantId);
        Assert.Equal(60, policy.RequestsPerMinute);
    }

    [Fact]
    public async Task Another_tenants_policy_is_answered_exactly_like_a_missing_tenant()
    {
        var a = await cp.CreateTenantAsync();
        var b = await cp.CreateTenantAsync();
        using var asB = cp.Client(TestTenantContexts.Tenant(b));

        var other = await asB.GetAsync($"/internal/v1/tenants/{a}/policy");
        var missing = await asB.GetAsync("/internal/v1/tenants/t_0000000000000000/policy");

        var otherDetail = await ProblemAssert.IsProblemAsync(other, HttpStatusCode.NotFound);
        var missingDetail = await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound);
        Assert.Equal(otherDetail.Replace(a, "ID"), missingDetail.Replace("t_0000000000000000", "ID"));
    }

    [Fact]
    public async Task The_gateway_and_the_operator_read_any_tenants_policy()
    {
        var a = await cp.CreateTenantAsync();
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        using var op = cp.Operator();

        Assert.Equal(HttpStatusCode.OK, (await gateway.GetAsync($"/internal/v1/tenants/{a}/policy")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await op.GetAsync($"/internal/v1/tenants/{a}/policy")).StatusCode);
    }

    public static TheoryData<string, string, string?> AdminCalls => new()
    {
        { "GET", "/admin/v1/tenants", null },
        { "POST", "/admin/v1/tenants", """{"name":"x","tier":"enterprise"}""" },
        { "GET", "/admin/v1/tenants/{a}", null },
        { "PATCH", "/admin/v1/tenants/{a}", """{"tier":"free"}""" },
        { "DELETE", "/admin/v1/tenants/{a}", null },
        { "POST", "/admin/v1/tenants/{a}/keys", """{"name":"stolen"}""" },
        { "GET", "/admin/v1/tenants/{a}/keys", null },
        { "DELETE", "/admin/v1/tenants/{a}/keys/{key}", null },
        { "GET", "/admin/v1/audit?tenantId={a}", null },
    };

    [Theory]
    [MemberData(nameof(AdminCalls))]
    public async Task A_tenant_context_cannot_use_the_admin_api_on_anyone(string method, string path, string? body)
    {
        var a = await cp.CreateTenantAsync(new { name = "Victim", tier = "pro" });
        var (keyId, key) = await cp.CreateKeyAsync(a);
        var b = await cp.CreateTenantAsync();
        var tenantsBefore = await cp.OwnerScalarAsync("SELECT count(*) FROM tenants");
        using var asB = cp.Client(TestTenantContexts.Tenant(b));
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{a}", a).Replace("{key}", keyId));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var response = await asB.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.DoesNotContain("Victim", await response.Content.ReadAsStringAsync());
        Assert.Equal(tenantsBefore, await cp.OwnerScalarAsync("SELECT count(*) FROM tenants"));
        Assert.Equal(1, await cp.OwnerScalarAsync("SELECT count(*) FROM api_keys WHERE tenant_id = @a AND revoked_at IS NULL", ("a", a)));
        using var op = cp.Operator();
        Assert.Equal("pro", (await op.GetFromJsonAsync<System.Text.Json.JsonElement>($"/admin/v1/tenants/{a}")).GetProperty("tier").GetString());
        using var gateway = cp.Client(TestTenantContexts.Gateway);
        Assert.Equal(HttpStatusCode.OK, (await gateway.PostAsJsonAsync("/internal/v1/keys/resolve", new { key })).StatusCode);
    }

    [Fact]
    public async Task A_tenant_id_in_the_body_cannot_redirect_a_credential_write()
    {
        var a = await cp.CreateTenantAsync();
        var b = await cp.CreateTenantAsync();
        using var asB = cp.Client(TestTenantContexts.Tenant(b));

        var response = await asB.PutAsync("/v1/credentials/github",
            new StringContent($$"""{"secret":"s","tenantId":"{{a}}"}""", Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM vault_secrets WHERE tenant_id = @a", ("a", a)));
    }

    [Fact]
    public async Task Client_sent_tenant_headers_do_not_change_whose_credential_is_written()
    {
        var a = await cp.CreateTenantAsync();
        var b = await cp.CreateTenantAsync();
        using var asB = cp.Client(TestTenantContexts.Tenant(b));
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/credentials/github") { Content = JsonContent.Create(new { secret = "s" }) };
        request.Headers.Add("x-tenant-id", a);

        var response = await asB.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM vault_secrets WHERE tenant_id = @a", ("a", a)));
        Assert.Equal(1, await cp.OwnerScalarAsync("SELECT count(*) FROM vault_secrets WHERE tenant_id = @b", ("b", b)));
    }

    [Fact]
    public async Task A_forged_context_is_refused_everywhere()
    {
        var a = await cp.CreateTenantAsync();
        using var client = cp.Factory.CreateClient();
        var forged = TestTenantContexts.Mint(TestTenantContexts.Operator, key: AgentCloud.Platform.Tenancy.TenantContextSigningKey.FromSeed(TestTenantContexts.ForgerSeed));
        client.DefaultRequestHeaders.Add(AgentCloud.Platform.Tenancy.TenantContextHeaders.Context, forged);

        var response = await client.GetAsync($"/admin/v1/tenants/{a}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }
}
