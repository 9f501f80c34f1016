using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace AgentCloud.ControlPlane.Tests;

[Collection(ControlPlaneCollection.Name)]
public sealed class BadInputTests(ControlPlaneFixture cp)
{
    public static TheoryData<string, string> BadTenantBodies => new()
    {
        { "unknown tier", """{"name":"x","tier":"platinum"}""" },
        { "missing tier", """{"name":"x"}""" },
        { "missing name", """{"tier":"free"}""" },
        { "empty name", """{"name":"","tier":"free"}""" },
        { "blank name", """{"name":"   ","tier":"free"}""" },
        { "10 kB name", $$"""{"name":"{{new string('n', 10_240)}}","tier":"free"}""" },
        { "control characters in name", """{"name":"a\u0000b","tier":"free"}""" },
        { "tier of the wrong type", """{"name":"x","tier":5}""" },
        { "name of the wrong type", """{"name":["x"],"tier":"free"}""" },
        { "limit of the wrong type", """{"name":"x","tier":"free","policy":{"requestsPerMinute":"fast"}}""" },
        { "limit out of range", """{"name":"x","tier":"free","policy":{"requestsPerMinute":-1}}""" },
        { "huge limit", """{"name":"x","tier":"free","policy":{"tokensPerMinute":99999999999999999999999}}""" },
        { "unknown field", """{"name":"x","tier":"free","colour":"red"}""" },
        { "unknown policy field", """{"name":"x","tier":"free","policy":{"requestsPerMinit":5}}""" },
        { "unknown model", """{"name":"x","tier":"free","models":[{"id":"gpt-9"}]}""" },
        { "context above the model's", """{"name":"x","tier":"free","models":[{"id":"sim-small","maxContextTokens":999999}]}""" },
        { "duplicate model", """{"name":"x","tier":"free","models":[{"id":"sim-small"},{"id":"sim-small"}]}""" },
        { "bad tool name", """{"name":"x","tier":"free","tools":["rm -rf /"]}""" },
        { "bad egress pattern", """{"name":"x","tier":"free","egress":["http://evil.com/*"]}""" },
        { "null in a list", """{"name":"x","tier":"free","tools":[null]}""" },
        { "unknown isolation level", """{"name":"x","tier":"free","isolation":{"sandboxIsolationLevels":["vm"]}}""" },
        { "isolation level none offered to a tenant", """{"name":"x","tier":"free","isolation":{"sandboxIsolationLevels":["none"]}}""" },
        { "empty isolation levels", """{"name":"x","tier":"free","isolation":{"sandboxIsolationLevels":[]}}""" },
        { "unknown placement", """{"name":"x","tier":"free","isolation":{"inferencePlacement":"moon"}}""" },
        { "status on create", """{"name":"x","tier":"free","status":"suspended"}""" },
        { "malformed JSON", """{"name":"x","tier":"free" """ },
        { "not an object", """[1,2,3]""" },
        { "JSON null", "null" },
    };

    [Theory]
    [MemberData(nameof(BadTenantBodies))]
    public async Task Bad_tenant_body_is_refused_with_a_problem_and_nothing_is_written(string why, string body)
    {
        var before = await cp.OwnerScalarAsync("SELECT count(*) FROM tenants");
        using var client = cp.Operator();

        var response = await client.PostAsync("/admin/v1/tenants", new StringContent(body, Encoding.UTF8, "application/json"));

        var detail = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(detail.Length < 1_000, $"{why}: the answer echoes too much");
        Assert.Equal(before, await cp.OwnerScalarAsync("SELECT count(*) FROM tenants"));
    }

    [Theory]
    [InlineData("""{"tier":"diamond"}""")]
    [InlineData("""{"name":""}""")]
    [InlineData("""{"status":"deleted"}""")]
    [InlineData("""{"policy":{"requestsPerMinute":"many"}}""")]
    [InlineData("""{"models":[{"id":"sim-small"}],"egress":["not a domain"]}""")]
    [InlineData("""{"name":"x" """)]
    public async Task Bad_patch_leaves_the_tenant_exactly_as_it_was(string body)
    {
        var id = await cp.CreateTenantAsync(new { name = "Unchanged", tier = "free" });
        using var client = cp.Operator();
        var before = await client.GetStringAsync($"/admin/v1/tenants/{id}");

        var response = await client.PatchAsync($"/admin/v1/tenants/{id}", new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await client.GetStringAsync($"/admin/v1/tenants/{id}"));
        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM tenant_models WHERE tenant_id = @t", ("t", id)));
    }

    [Theory]
    [InlineData("GET", "/admin/v1/tenants/t_doesnotexist", null)]
    [InlineData("PATCH", "/admin/v1/tenants/t_doesnotexist", """{"name":"y"}""")]
    [InlineData("DELETE", "/admin/v1/tenants/t_doesnotexist", null)]
    [InlineData("POST", "/admin/v1/tenants/t_doesnotexist/keys", """{"name":"k"}""")]
    [InlineData("GET", "/admin/v1/tenants/t_doesnotexist/keys", null)]
    [InlineData("DELETE", "/admin/v1/tenants/t_doesnotexist/keys/key_0000", null)]
    [InlineData("GET", "/admin/v1/audit?tenantId=t_doesnotexist", null)]
    public async Task Non_existent_ids_are_answered_404_problem(string method, string path, string? body)
    {
        using var client = cp.Operator();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var response = await client.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_huge_tenant_id_in_the_path_is_a_404_not_a_crash()
    {
        using var client = cp.Operator();

        var response = await client.GetAsync("/admin/v1/tenants/" + new string('t', 5_000));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Unknown_key_of_an_existing_tenant_is_404()
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Operator();

        var response = await client.DeleteAsync($"/admin/v1/tenants/{id}/keys/key_nope");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"name":""}""")]
    [InlineData("""{"name":"k","capabilities":["platform:credential-injection"]}""")]
    [InlineData("""{"name":"k","capabilities":["platform:admin"]}""")]
    [InlineData("""{"name":"k","capabilities":["tool:not-allowlisted"]}""")]
    [InlineData("""{"name":"k","capabilities":"inference"}""")]
    [InlineData("""{"name":"k","capabilities":[null]}""")]
    [InlineData("""{"name":"k","scopes":["inference"]}""")]
    [InlineData("""{"name": """)]
    public async Task Bad_key_request_is_refused_and_no_key_is_made(string body)
    {
        var id = await cp.CreateTenantAsync(new { name = "Keys", tier = "pro", tools = new[] { "search" } });
        using var client = cp.Operator();

        var response = await client.PostAsync($"/admin/v1/tenants/{id}/keys", new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM api_keys WHERE tenant_id = @t", ("t", id)));
    }

    [Theory]
    [InlineData("""{"secret":""}""")]
    [InlineData("""{"secret":5}""")]
    [InlineData("""{"value":"x"}""")]
    [InlineData("""{"secret": """)]
    public async Task Bad_credential_body_is_refused_and_nothing_is_stored(string body)
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(AgentCloud.Tests.Shared.TestTenantContexts.Tenant(id));

        var response = await client.PutAsync("/v1/credentials/github", new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM vault_secrets WHERE tenant_id = @t", ("t", id)));
    }

    [Fact]
    public async Task A_secret_over_8_kB_is_refused()
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(AgentCloud.Tests.Shared.TestTenantContexts.Tenant(id));

        var response = await client.PutAsJsonAsync("/v1/credentials/github", new { secret = new string('s', 10_000) });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_bad_integration_name_is_refused()
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(AgentCloud.Tests.Shared.TestTenantContexts.Tenant(id));

        var response = await client.PutAsJsonAsync("/v1/credentials/GitHub%20Enterprise", new { secret = "s" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }
}
