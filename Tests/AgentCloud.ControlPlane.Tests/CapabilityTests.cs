using System.Net;
using System.Net.Http.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>The ControlPlane's own wall behind the Gateway's route check: the vault needs credentials:write, never a run's.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class CapabilityTests(ControlPlaneFixture cp)
{
    public static TheoryData<string> VaultMethods => new() { "PUT", "DELETE" };

    private static HttpRequestMessage VaultCall(string method) =>
        new(new HttpMethod(method), "/v1/credentials/github") { Content = method == "PUT" ? JsonContent.Create(new { secret = "ghp_overwrite" }) : null };

    [Theory]
    [MemberData(nameof(VaultMethods))]
    public async Task A_key_without_credentials_write_cannot_change_the_vault(string method)
    {
        var tenant = await cp.CreateTenantAsync();
        using var client = cp.Client(TestTenantContexts.Tenant(tenant, "pro", "inference", "memory:read", "memory:write", "sandbox", "usage:read"));

        var response = await client.SendAsync(VaultCall(method));

        var detail = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("credentials:write", detail);
    }

    [Theory]
    [MemberData(nameof(VaultMethods))]
    public async Task A_run_key_cannot_change_the_vault_even_if_it_claims_credentials_write(string method)
    {
        var tenant = await cp.CreateTenantAsync();
        var run = new TenantContext(tenant, "pro", "key:run", ["inference", CapabilityCatalogue.CredentialsWrite], RunId: "sbx_agent");
        using var client = cp.Client(run);

        var response = await client.SendAsync(VaultCall(method));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(VaultMethods))]
    public async Task A_services_onward_context_cannot_change_the_vault(string method)
    {
        var tenant = await cp.CreateTenantAsync();
        using var client = cp.Client(TestTenantContexts.Tenant(tenant) with { Via = "sandbox-broker" });

        var response = await client.SendAsync(VaultCall(method));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_run_key_is_never_minted_with_credentials_write()
    {
        var tenant = await cp.CreateTenantAsync();
        using var broker = cp.Client(TestTenantContexts.Tenant(tenant));

        var response = await broker.PostAsJsonAsync("/internal/v1/run-keys", new { runId = "sbx_vault", capabilities = new[] { "inference", "credentials:write" }, ttlSeconds = 600 });

        var detail = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("credentials:write", detail);
    }

    [Fact]
    public async Task A_tenant_key_gets_credentials_write_only_when_asked_and_unknown_capabilities_are_refused()
    {
        var tenant = await cp.CreateTenantAsync();
        using var op = cp.Operator();

        var plain = await op.PostAsJsonAsync($"/admin/v1/tenants/{tenant}/keys", new { name = "agent" });
        var vault = await op.PostAsJsonAsync($"/admin/v1/tenants/{tenant}/keys", new { name = "vault", capabilities = new[] { "credentials:write" } });
        var unknown = await op.PostAsJsonAsync($"/admin/v1/tenants/{tenant}/keys", new { name = "x", capabilities = new[] { "credentials:read" } });

        Assert.DoesNotContain("credentials:write", (await plain.Content.ReadFromJsonAsync<CreatedKey>())!.Capabilities);
        Assert.Equal(["credentials:write"], (await vault.Content.ReadFromJsonAsync<CreatedKey>())!.Capabilities);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Two_concurrent_first_writes_of_one_credential_both_succeed()
    {
        for (var round = 0; round < 5; round++)
        {
            var tenant = await cp.CreateTenantAsync();
            using var a = cp.Client(TestTenantContexts.Tenant(tenant));
            using var b = cp.Client(TestTenantContexts.Tenant(tenant));

            var answers = await Task.WhenAll(
                a.PutAsJsonAsync("/v1/credentials/github", new { secret = "first" }),
                b.PutAsJsonAsync("/v1/credentials/github", new { secret = "second" }));

            Assert.All(answers, r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
        }
    }

    private sealed record CreatedKey(string Id, IReadOnlyList<string> Capabilities);
}
