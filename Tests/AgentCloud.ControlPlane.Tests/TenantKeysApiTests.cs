using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>A tenant managing its own keys (<c>/v1/keys</c>) with <c>keys:admin</c>: only its own, and never beyond what it holds.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class TenantKeysApiTests(ControlPlaneFixture cp)
{
    private static TenantContext Admin(string tenantId, params string[] more) => TestTenantContexts.Tenant(tenantId, "pro", ["inference", "usage:read", "keys:admin", .. more]);

    [Fact]
    public async Task A_key_admin_creates_lists_rotates_and_revokes_its_tenants_keys()
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(Admin(id));

        var created = await client.PostAsJsonAsync("/v1/keys", new { name = "ci-bot", capabilities = new[] { "inference" }, expiresAt = DateTimeOffset.UtcNow.AddDays(30) });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var (keyId, key) = (body.GetProperty("id").GetString()!, body.GetProperty("key").GetString()!);
        Assert.NotEqual(JsonValueKind.Null, body.GetProperty("expiresAt").ValueKind);

        var listed = await client.GetStringAsync("/v1/keys");
        Assert.Contains(keyId, listed);
        Assert.DoesNotContain(key, listed);

        var rotated = await client.PostAsJsonAsync($"/v1/keys/{keyId}/rotate", new { gracePeriodSeconds = 600 });
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(keyId, rotated.Headers.GetValues(PlatformHeaders.RevokedKeys).Single());
        var newKey = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        Assert.NotNull(await cp.ResolveKeyAsync(key));
        Assert.NotNull(await cp.ResolveKeyAsync(newKey));

        var revoked = await client.DeleteAsync($"/v1/keys/{keyId}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Null(await cp.ResolveKeyAsync(key));
        Assert.Null(await cp.ResolveKeyAsync(newKey));
    }

    [Fact]
    public async Task Without_a_list_a_new_key_gets_the_defaults_its_creator_holds_and_never_keys_admin()
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(Admin(id));

        var created = await client.PostAsJsonAsync("/v1/keys", new { name = "defaults" });

        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        Assert.Equal(["inference", "usage:read"], (await cp.ResolveKeyAsync(key))!.Capabilities);
    }

    [Theory]
    [InlineData("sandbox")]
    [InlineData("credentials:write")]
    [InlineData("platform:credential-injection")]
    [InlineData(null)]
    public async Task A_key_cannot_mint_a_key_stronger_than_itself(string? capability)
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Client(Admin(id));

        var response = await client.PostAsJsonAsync("/v1/keys", new { name = "escalation", capabilities = new[] { "inference", capability } });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.DoesNotContain("escalation", await client.GetStringAsync("/v1/keys"));
    }

    [Fact]
    public async Task A_key_admin_cannot_rotate_a_stronger_sibling_to_obtain_its_secret()
    {
        var id = await cp.CreateTenantAsync();
        var (strongId, strongKey) = await cp.CreateKeyAsync(id, new { name = "ops", capabilities = new[] { "inference", "sandbox", "credentials:write" } });
        using var client = cp.Client(Admin(id));

        var response = await client.PostAsJsonAsync($"/v1/keys/{strongId}/rotate", new { gracePeriodSeconds = 0 });

        Assert.Contains("sandbox", await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden));
        Assert.Equal(strongId, (await cp.ResolveKeyAsync(strongKey))!.KeyId);
        Assert.DoesNotContain("key.rotated", await cp.Operator().GetStringAsync($"/admin/v1/audit?tenantId={id}"));
    }

    [Fact]
    public async Task Without_keys_admin_or_as_a_run_or_on_a_services_behalf_nothing_is_managed()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, _) = await cp.CreateKeyAsync(id);
        var plain = TestTenantContexts.Tenant(id);
        var run = Admin(id) with { RunId = "run-1" };
        var onward = Admin(id) with { Via = "sandbox-broker" };

        foreach (var context in new[] { plain, run, onward })
        {
            using var client = cp.Client(context);
            await ProblemAssert.IsProblemAsync(await client.GetAsync("/v1/keys"), HttpStatusCode.Forbidden);
            await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/v1/keys", new { name = "x" }), HttpStatusCode.Forbidden);
            await ProblemAssert.IsProblemAsync(await client.PostAsync($"/v1/keys/{keyId}/rotate", null), HttpStatusCode.Forbidden);
            await ProblemAssert.IsProblemAsync(await client.DeleteAsync($"/v1/keys/{keyId}"), HttpStatusCode.Forbidden);
        }
    }

    [Fact]
    public async Task Another_tenants_keys_are_not_listed_rotated_or_revoked_404()
    {
        var victim = await cp.CreateTenantAsync();
        var attacker = await cp.CreateTenantAsync();
        var (victimKeyId, victimKey) = await cp.CreateKeyAsync(victim);
        using var client = cp.Client(Admin(attacker));

        Assert.DoesNotContain(victimKeyId, await client.GetStringAsync("/v1/keys"));
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync($"/v1/keys/{victimKeyId}/rotate", new { gracePeriodSeconds = 60 }), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await client.DeleteAsync($"/v1/keys/{victimKeyId}"), HttpStatusCode.NotFound);

        Assert.Equal(victimKeyId, (await cp.ResolveKeyAsync(victimKey))!.KeyId);
    }
}
