using System.Net;
using System.Net.Http.Json;
using System.Text;
using AgentCloud.ControlPlane.Apis;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.Tests.Shared;
using Npgsql;

namespace AgentCloud.ControlPlane.Tests;

[Collection(ControlPlaneCollection.Name)]
public sealed class CredentialListTests(ControlPlaneFixture cp)
{
    [Fact]
    public async Task A_tenant_lists_its_own_credential_names_and_never_another_tenants()
    {
        var (a, b) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        await PutAsync(a, "slack", "xoxb-of-a");
        await PutAsync(a, "github", "ghp-of-a");
        await PutAsync(b, "jira-of-b", "token-of-b");
        using var tenantA = cp.Client(TestTenantContexts.Tenant(a));

        var listing = await tenantA.GetFromJsonAsync<CredentialListResponse>("/v1/credentials");

        Assert.Equal(["github", "slack"], listing!.Credentials.Select(c => c.Integration));
        Assert.All(listing.Credentials, c => Assert.True(c.UpdatedAt > DateTimeOffset.UtcNow.AddMinutes(-5)));
    }

    [Fact]
    public async Task The_listing_carries_no_byte_of_a_secret_nor_of_its_ciphertext()
    {
        var id = await cp.CreateTenantAsync();
        const string secret = "ghp_LISTED_NEVER_0123456789";
        await PutAsync(id, "github", secret);
        var sealedSecret = await SealedAsync(id, "github");
        using var tenant = cp.Client(TestTenantContexts.Tenant(id));

        var response = await tenant.GetAsync("/v1/credentials");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("github", body);
        Assert.DoesNotContain(secret, body);
        Assert.DoesNotContain("LISTED_NEVER", body);
        Assert.DoesNotContain(Convert.ToBase64String(sealedSecret), body);
        Assert.DoesNotContain(Convert.ToBase64String(sealedSecret.AsSpan(0, 12)), body);
        Assert.DoesNotContain(Convert.ToHexStringLower(sealedSecret.AsSpan(0, 12)), body);
        Assert.False(Encoding.UTF8.GetBytes(body).AsSpan().IndexOf(sealedSecret.AsSpan(12, 16)) >= 0);
    }

    [Fact]
    public async Task A_key_without_credentials_write_or_a_runs_key_or_the_operator_cannot_list()
    {
        var id = await cp.CreateTenantAsync();
        await PutAsync(id, "github", "s");
        using var reader = cp.Client(TestTenantContexts.Tenant(id, "pro", Capabilities.Inference));
        using var run = cp.Client(TestTenantContexts.Tenant(id) with { RunId = "run_1" });
        using var op = cp.Client(TestTenantContexts.Operator);

        await ProblemAssert.IsProblemAsync(await reader.GetAsync("/v1/credentials"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await run.GetAsync("/v1/credentials"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await op.GetAsync("/v1/credentials"), HttpStatusCode.Forbidden);
    }

    private async Task PutAsync(string tenantId, string integration, string secret)
    {
        using var client = cp.Client(TestTenantContexts.Tenant(tenantId));
        (await client.PutAsJsonAsync($"/v1/credentials/{integration}", new { secret })).EnsureSuccessStatusCode();
    }

    private async Task<byte[]> SealedAsync(string tenantId, string integration)
    {
        await using var conn = new NpgsqlConnection(cp.OwnerConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT sealed FROM vault_secrets WHERE tenant_id = @t AND integration = @i", conn);
        cmd.Parameters.AddWithValue("t", tenantId);
        cmd.Parameters.AddWithValue("i", integration);
        return (byte[])(await cmd.ExecuteScalarAsync())!;
    }
}
