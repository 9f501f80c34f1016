using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Keys of a project: created into the tenant's own live project only, resolved with its budget, refused once it is deleted.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class ProjectKeysTests(ControlPlaneFixture cp)
{
    private async Task<string> CreateProjectAsync(string tenantId, object body)
    {
        using var op = cp.Operator();
        var response = await op.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/projects", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_key_of_a_project_resolves_with_its_project_and_budget_and_shows_the_project_in_the_list()
    {
        var id = await cp.CreateTenantAsync();
        var projectId = await CreateProjectAsync(id, new { name = "marketing", tokensPerMinute = 7_000 });
        var (keyId, key) = await cp.CreateKeyAsync(id, new { name = "campaign-bot", projectId, tokensPerMinute = 2_000 });
        var (_, outside) = await cp.CreateKeyAsync(id);
        using var op = cp.Operator();

        var resolved = await cp.ResolveKeyAsync(key);
        var keys = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/tenants/{id}/keys");

        Assert.Equal((projectId, 7_000L, 2_000L), (resolved!.ProjectId, resolved.ProjectTokensPerMinute, resolved.KeyTokensPerMinute));
        Assert.Equal(projectId, keys.EnumerateArray().Single(k => k.GetProperty("id").GetString() == keyId).GetProperty("projectId").GetString());
        var plain = await cp.ResolveKeyAsync(outside);
        Assert.Equal((null, 0L), (plain!.ProjectId, plain.ProjectTokensPerMinute));
    }

    [Fact]
    public async Task A_tenant_key_admin_creates_a_key_in_its_own_project_and_the_answer_names_it()
    {
        var id = await cp.CreateTenantAsync();
        var projectId = await CreateProjectAsync(id, new { name = "data" });
        using var admin = cp.Client(TestTenantContexts.Tenant(id, "pro", ["inference", "keys:admin"]));

        var created = await admin.PostAsJsonAsync("/v1/keys", new { name = "etl", projectId });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(projectId, body.GetProperty("projectId").GetString());
        Assert.Equal(projectId, (await cp.ResolveKeyAsync(body.GetProperty("key").GetString()!))!.ProjectId);
    }

    [Fact]
    public async Task A_key_admin_of_a_project_makes_keys_of_its_own_project_only_and_cannot_mint_its_way_out_of_the_budget()
    {
        var id = await cp.CreateTenantAsync();
        var (mine, other) = (await CreateProjectAsync(id, new { name = "capped", tokensPerMinute = 100 }), await CreateProjectAsync(id, new { name = "roomy" }));
        using var admin = cp.Client(TestTenantContexts.Tenant(id, "pro", ["inference", "keys:admin"]) with { ProjectId = mine });

        var inherited = await admin.PostAsJsonAsync("/v1/keys", new { name = "same-project" });
        var escape = await admin.PostAsJsonAsync("/v1/keys", new { name = "escape", projectId = other });

        Assert.Equal(HttpStatusCode.Created, inherited.StatusCode);
        var key = (await inherited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        Assert.Equal((mine, 100L), ((await cp.ResolveKeyAsync(key))!.ProjectId, (await cp.ResolveKeyAsync(key))!.ProjectTokensPerMinute));
        Assert.Contains(mine, await ProblemAssert.IsProblemAsync(escape, HttpStatusCode.Forbidden));
        Assert.Equal(1, await cp.OwnerScalarAsync("SELECT count(*) FROM api_keys WHERE tenant_id = @t", ("t", id)));
    }

    [Fact]
    public async Task A_key_cannot_join_another_tenants_project_a_deleted_one_or_one_that_does_not_exist()
    {
        var (id, other) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        var foreign = await CreateProjectAsync(other, new { name = "theirs" });
        var deleted = await CreateProjectAsync(id, new { name = "gone" });
        using var op = cp.Operator();
        await op.DeleteAsync($"/admin/v1/tenants/{id}/projects/{deleted}");
        using var admin = cp.Client(TestTenantContexts.Tenant(id, "pro", ["inference", "keys:admin"]));

        foreach (var projectId in new[] { foreign, deleted, "prj_0000000000000000", "" })
        {
            await ProblemAssert.IsProblemAsync(await op.PostAsJsonAsync($"/admin/v1/tenants/{id}/keys", new { name = "k", projectId }), HttpStatusCode.BadRequest);
            await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync("/v1/keys", new { name = "k", projectId }), HttpStatusCode.BadRequest);
        }
        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM api_keys WHERE tenant_id = @t", ("t", id)));
    }

    [Fact]
    public async Task A_budget_change_is_announced_and_the_next_resolution_carries_it()
    {
        var id = await cp.CreateTenantAsync();
        var projectId = await CreateProjectAsync(id, new { name = "ops", tokensPerMinute = 1_000 });
        var (_, key) = await cp.CreateKeyAsync(id, new { name = "k", projectId });
        Assert.Equal(1_000, (await cp.ResolveKeyAsync(key))!.ProjectTokensPerMinute);
        var changed = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.PolicyChanged);
        using var op = cp.Operator();

        (await op.PatchAsJsonAsync($"/admin/v1/tenants/{id}/projects/{projectId}", new { tokensPerMinute = 3_000 })).EnsureSuccessStatusCode();

        Assert.Equal(id, await changed.NextAsync(m => m == id));
        Assert.Equal(3_000, (await cp.ResolveKeyAsync(key))!.ProjectTokensPerMinute);
    }

    [Fact]
    public async Task Deleting_a_project_refuses_its_keys_from_then_on_and_leaves_the_tenants_other_keys_working()
    {
        var id = await cp.CreateTenantAsync();
        var projectId = await CreateProjectAsync(id, new { name = "sunset" });
        var (_, member) = await cp.CreateKeyAsync(id, new { name = "member", projectId });
        var (_, outside) = await cp.CreateKeyAsync(id);
        Assert.NotNull(await cp.ResolveKeyAsync(member));
        var changed = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.PolicyChanged);
        using var op = cp.Operator();

        Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/admin/v1/tenants/{id}/projects/{projectId}")).StatusCode);

        Assert.Equal(id, await changed.NextAsync(m => m == id));
        Assert.Null(await cp.ResolveKeyAsync(member));
        Assert.NotNull(await cp.ResolveKeyAsync(outside));
        // Deleting again publishes again (a DELETE whose announcement was lost can be repeated), and the key stays refused.
        Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/admin/v1/tenants/{id}/projects/{projectId}")).StatusCode);
        Assert.Equal(id, await changed.NextAsync(m => m == id));
        Assert.Null(await cp.ResolveKeyAsync(member));
    }

    [Fact]
    public async Task Offboarding_a_tenant_removes_its_projects_with_their_keys()
    {
        var id = await cp.CreateTenantAsync();
        var projectId = await CreateProjectAsync(id, new { name = "leaving" });
        var (_, key) = await cp.CreateKeyAsync(id, new { name = "k", projectId });
        using var op = cp.Operator();

        Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/admin/v1/tenants/{id}")).StatusCode);

        Assert.Null(await cp.ResolveKeyAsync(key));
        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM projects WHERE tenant_id = @t", ("t", id)));
    }

    [Fact]
    public async Task A_run_key_inherits_the_project_of_the_key_that_asked_for_its_sandbox()
    {
        var id = await cp.CreateTenantAsync();
        var projectId = await CreateProjectAsync(id, new { name = "agents", tokensPerMinute = 900 });
        var (creatorId, _) = await cp.CreateKeyAsync(id, new { name = "orchestrator", projectId });
        var broker = TestTenantContexts.Tenant(id, "pro", ["inference", "memory:read", "memory:write", "sandbox"]) with { Principal = $"key:{creatorId}" };
        using var client = cp.Client(broker);

        var response = await client.PostAsJsonAsync("/internal/v1/run-keys", new { runId = "sbx_prj", ttlSeconds = 600 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var runKey = await response.Content.ReadFromJsonAsync<RunKey>();
        var resolved = await cp.ResolveKeyAsync(runKey!.Key);
        Assert.Equal((projectId, 900L, "sbx_prj"), (resolved!.ProjectId, resolved.ProjectTokensPerMinute, resolved.RunId));
    }

    [Fact]
    public async Task Projects_admin_is_granted_only_when_asked_for_and_never_to_a_run_key()
    {
        var id = await cp.CreateTenantAsync();
        var (_, defaults) = await cp.CreateKeyAsync(id);
        var (_, asked) = await cp.CreateKeyAsync(id, new { name = "finance", capabilities = new[] { "projects:admin" } });
        using var broker = cp.Client(TestTenantContexts.Tenant(id, "pro", ["inference", "sandbox", "projects:admin"]));

        var run = await broker.PostAsJsonAsync("/internal/v1/run-keys", new { runId = "sbx_esc", capabilities = new[] { "projects:admin" }, ttlSeconds = 60 });

        Assert.DoesNotContain("projects:admin", (await cp.ResolveKeyAsync(defaults))!.Capabilities);
        Assert.Equal(["projects:admin"], (await cp.ResolveKeyAsync(asked))!.Capabilities);
        Assert.Contains("projects:admin", await ProblemAssert.IsProblemAsync(run, HttpStatusCode.BadRequest));
    }
}
