using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Projects within a tenant (<c>/v1/projects</c> with <c>projects:admin</c>, and the operator's): CRUD, validation, audit, refusals.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class ProjectsApiTests(ControlPlaneFixture cp)
{
    private static TenantContext Admin(string tenantId) => TestTenantContexts.Tenant(tenantId, "pro", ["inference", "projects:admin"]);

    private static async Task<string> IdOf(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_project_admin_creates_reads_renames_rebudgets_lists_and_deletes_a_project_and_each_step_is_audited()
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(Admin(id));

        var projectId = await IdOf(await client.PostAsJsonAsync("/v1/projects", new { name = "marketing", tokensPerMinute = 10_000 }));
        Assert.StartsWith("prj_", projectId);
        var read = await client.GetFromJsonAsync<JsonElement>($"/v1/projects/{projectId}");
        Assert.Equal(("marketing", 10_000L), (read.GetProperty("name").GetString(), read.GetProperty("tokensPerMinute").GetInt64()));

        var patched = await client.PatchAsJsonAsync($"/v1/projects/{projectId}", new { name = "growth", tokensPerMinute = 20_000 });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var unbudgeted = await client.PatchAsJsonAsync($"/v1/projects/{projectId}", new { tokensPerMinute = 0 });
        Assert.Equal(JsonValueKind.Null, (await unbudgeted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokensPerMinute").ValueKind);
        Assert.Contains("\"name\":\"growth\"", await client.GetStringAsync("/v1/projects"));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/projects/{projectId}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/v1/projects/{projectId}"), HttpStatusCode.NotFound);
        Assert.DoesNotContain(projectId, await client.GetStringAsync("/v1/projects"));

        using var op = cp.Operator();
        var audit = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/audit?tenantId={id}");
        var actions = audit.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(1, actions.Count(a => a == "project.created"));
        Assert.Equal(2, actions.Count(a => a == "project.updated"));
        Assert.Equal(1, actions.Count(a => a == "project.deleted"));
    }

    [Fact]
    public async Task The_operator_manages_a_tenants_projects_under_the_admin_api()
    {
        var id = await cp.CreateTenantAsync();
        using var op = cp.Operator();

        var projectId = await IdOf(await op.PostAsJsonAsync($"/admin/v1/tenants/{id}/projects", new { name = "data" }));
        Assert.Equal(HttpStatusCode.OK, (await op.PatchAsJsonAsync($"/admin/v1/tenants/{id}/projects/{projectId}", new { tokensPerMinute = 5 })).StatusCode);
        Assert.Contains(projectId, await op.GetStringAsync($"/admin/v1/tenants/{id}/projects"));
        using var tenant = cp.Client(Admin(id));
        Assert.Equal(5, (await tenant.GetFromJsonAsync<JsonElement>($"/v1/projects/{projectId}")).GetProperty("tokensPerMinute").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/admin/v1/tenants/{id}/projects/{projectId}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await op.GetAsync($"/admin/v1/tenants/{id}/projects/{projectId}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await op.GetAsync("/admin/v1/tenants/no-such-tenant/projects"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_name_is_unique_among_a_tenants_live_projects_only()
    {
        var (a, b) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        using var clientA = cp.Client(Admin(a));
        using var clientB = cp.Client(Admin(b));
        var first = await IdOf(await clientA.PostAsJsonAsync("/v1/projects", new { name = "research" }));
        var other = await IdOf(await clientA.PostAsJsonAsync("/v1/projects", new { name = "ops" }));

        await ProblemAssert.IsProblemAsync(await clientA.PostAsJsonAsync("/v1/projects", new { name = "research" }), HttpStatusCode.Conflict);
        await ProblemAssert.IsProblemAsync(await clientA.PatchAsJsonAsync($"/v1/projects/{other}", new { name = "research" }), HttpStatusCode.Conflict);
        await IdOf(await clientB.PostAsJsonAsync("/v1/projects", new { name = "research" }));
        await clientA.DeleteAsync($"/v1/projects/{first}");
        await IdOf(await clientA.PostAsJsonAsync("/v1/projects", new { name = "research" }));
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "POST", """{"tokensPerMinute":5}""" },
        { "POST", """{"name":"   "}""" },
        { "POST", """{"name":"x","tokensPerMinute":0}""" },
        { "POST", """{"name":"x","tokensPerMinute":-1}""" },
        { "POST", "{\"name\":\"" + new string('n', 201) + "\"}" },
        { "POST", """{"name":"tab\there"}""" },
        { "PATCH", "{}" },
        { "PATCH", """{"tokensPerMinute":-3}""" },
        { "PATCH", """{"name":""}""" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_body_is_refused_400_with_what_to_send(string method, string body)
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(Admin(id));
        var projectId = await IdOf(await client.PostAsJsonAsync("/v1/projects", new { name = "target" }));

        using var request = new HttpRequestMessage(new HttpMethod(method), method == "POST" ? "/v1/projects" : $"/v1/projects/{projectId}")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        var detail = await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.BadRequest);

        Assert.Matches("name|tokensPerMinute", detail);
    }

    [Fact]
    public async Task Another_tenants_project_is_404_on_every_route_and_stays_as_it_was()
    {
        var (owner, intruder) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        using var ownerClient = cp.Client(Admin(owner));
        var projectId = await IdOf(await ownerClient.PostAsJsonAsync("/v1/projects", new { name = "secret-plans", tokensPerMinute = 100 }));
        using var client = cp.Client(Admin(intruder));
        using var op = cp.Operator();

        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/v1/projects/{projectId}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await client.PatchAsJsonAsync($"/v1/projects/{projectId}", new { tokensPerMinute = 1_000_000 }), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await client.DeleteAsync($"/v1/projects/{projectId}"), HttpStatusCode.NotFound);
        Assert.DoesNotContain(projectId, await client.GetStringAsync("/v1/projects"));
        // The operator's routes name the tenant: the project under the wrong one is not there either.
        await ProblemAssert.IsProblemAsync(await op.GetAsync($"/admin/v1/tenants/{intruder}/projects/{projectId}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await op.PatchAsJsonAsync($"/admin/v1/tenants/{intruder}/projects/{projectId}", new { name = "x" }), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await op.DeleteAsync($"/admin/v1/tenants/{intruder}/projects/{projectId}"), HttpStatusCode.NotFound);
        // Nor can a key of the intruder be put into it.
        await ProblemAssert.IsProblemAsync(await op.PostAsJsonAsync($"/admin/v1/tenants/{intruder}/keys", new { name = "stowaway", projectId }), HttpStatusCode.BadRequest);

        var unchanged = await ownerClient.GetFromJsonAsync<JsonElement>($"/v1/projects/{projectId}");
        Assert.Equal(("secret-plans", 100L), (unchanged.GetProperty("name").GetString(), unchanged.GetProperty("tokensPerMinute").GetInt64()));
    }

    [Fact]
    public async Task Without_projects_admin_or_as_a_run_or_on_a_services_behalf_or_as_the_operator_on_v1_nothing_is_managed()
    {
        var id = await cp.CreateTenantAsync();
        using var owner = cp.Client(Admin(id));
        var projectId = await IdOf(await owner.PostAsJsonAsync("/v1/projects", new { name = "guarded" }));
        TenantContext[] callers =
        [
            TestTenantContexts.Tenant(id, "pro", ["inference", "keys:admin", "usage:read"]),
            Admin(id) with { RunId = "run-1" },
            Admin(id) with { Via = "memory" },
            TestTenantContexts.Operator,
        ];

        foreach (var caller in callers)
        {
            using var client = cp.Client(caller);
            await ProblemAssert.IsProblemAsync(await client.GetAsync("/v1/projects"), HttpStatusCode.Forbidden);
            await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/v1/projects", new { name = "sneaky" }), HttpStatusCode.Forbidden);
            await ProblemAssert.IsProblemAsync(await client.PatchAsJsonAsync($"/v1/projects/{projectId}", new { tokensPerMinute = 1 }), HttpStatusCode.Forbidden);
            await ProblemAssert.IsProblemAsync(await client.DeleteAsync($"/v1/projects/{projectId}"), HttpStatusCode.Forbidden);
        }
        using var tenantOnAdmin = cp.Client(Admin(id));
        await ProblemAssert.IsProblemAsync(await tenantOnAdmin.GetAsync($"/admin/v1/tenants/{id}/projects"), HttpStatusCode.Forbidden);
        Assert.DoesNotContain("sneaky", await owner.GetStringAsync("/v1/projects"));
    }
}
