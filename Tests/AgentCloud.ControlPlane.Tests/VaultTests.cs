using System.Net;
using System.Net.Http.Json;
using System.Text;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Npgsql;

namespace AgentCloud.ControlPlane.Tests;

[Collection(ControlPlaneCollection.Name)]
public sealed class VaultTests(ControlPlaneFixture cp)
{
    private static TenantContext Injector(string tenantId) => TestTenantContexts.Tenant(tenantId, "pro", Capabilities.CredentialInjection);

    [Fact]
    public async Task Stored_ciphertext_contains_neither_the_secret_nor_the_data_key_in_clear()
    {
        var id = await cp.CreateTenantAsync();
        const string secret = "ghp_0123456789abcdefSECRET";
        using var tenant = cp.Client(TestTenantContexts.Tenant(id));

        var response = await tenant.PutAsJsonAsync("/v1/credentials/github", new { secret });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        var (sealedSecret, version) = await SealedAsync(id, "github");
        Assert.Equal(1, version);
        Assert.False(sealedSecret.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0);
        Assert.False(sealedSecret.AsSpan().IndexOf(Encoding.UTF8.GetBytes("SECRET")) >= 0);
        Assert.Equal(1, await cp.OwnerScalarAsync("SELECT count(*) FROM vault_keys WHERE tenant_id = @t AND master_key_version = 1", ("t", id)));
    }

    [Fact]
    public async Task The_injection_path_reveals_the_secret_of_the_tenant_in_its_own_context_only()
    {
        var (a, b) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        await PutAsync(a, "github", "secret-of-a");
        await PutAsync(b, "github", "secret-of-b");
        await PutAsync(b, "slack", "only-b-has-slack");
        using var injectorForA = cp.Client(Injector(a));

        var own = await injectorForA.PostAsync("/internal/v1/credentials/github/reveal", null);
        var notOwn = await injectorForA.PostAsync("/internal/v1/credentials/slack/reveal", null);

        Assert.Equal("secret-of-a", (await own.Content.ReadFromJsonAsync<Apis.RevealedCredential>())!.Secret);
        await ProblemAssert.IsProblemAsync(notOwn, HttpStatusCode.NotFound);
        Assert.DoesNotContain("only-b-has-slack", await notOwn.Content.ReadAsStringAsync());
    }

    public static TheoryData<string> NotTheInjectionPath => new() { "tenant key", "operator", "gateway", "platform with injection" };

    [Theory]
    [MemberData(nameof(NotTheInjectionPath))]
    public async Task Nobody_but_the_injection_path_can_read_a_secret(string who)
    {
        var id = await cp.CreateTenantAsync();
        await PutAsync(id, "github", "never-shown");
        var context = who switch
        {
            "tenant key" => TestTenantContexts.Tenant(id),
            "operator" => TestTenantContexts.Operator,
            "gateway" => TestTenantContexts.Gateway,
            _ => new TenantContext(TenantContext.PlatformTenantId, "platform", "injector", [Capabilities.CredentialInjection]),
        };
        using var client = cp.Client(context);

        var response = await client.PostAsync("/internal/v1/credentials/github/reveal", null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.DoesNotContain("never-shown", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_tool_executors_key_in_a_tenants_own_context_reveals_that_tenants_secret_only()
    {
        var (a, b) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        await PutAsync(a, "helpdesk", "helpdesk-token-of-a");
        await PutAsync(b, "slack", "only-b-has-slack");
        using var toolsForA = cp.Client(TestTenantContexts.Tenant(a));
        toolsForA.DefaultRequestHeaders.Add(Apis.InternalApi.InjectorHeader, ControlPlaneFixture.ToolInjectionKey);

        var own = await toolsForA.PostAsync("/internal/v1/credentials/helpdesk/reveal", null);
        var notOwn = await toolsForA.PostAsync("/internal/v1/credentials/slack/reveal", null);

        Assert.Equal("helpdesk-token-of-a", (await own.Content.ReadFromJsonAsync<Apis.RevealedCredential>())!.Secret);
        await ProblemAssert.IsProblemAsync(notOwn, HttpStatusCode.NotFound);
        Assert.DoesNotContain("only-b-has-slack", await notOwn.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("wrong key of the same length-0123456789")]
    [InlineData("test-tool-injection-key-0123456789abcde")]
    [InlineData("")]
    public async Task A_wrong_or_missing_injector_key_reveals_nothing(string presented)
    {
        var id = await cp.CreateTenantAsync();
        await PutAsync(id, "helpdesk", "never-shown-token");
        using var client = cp.Client(TestTenantContexts.Tenant(id));
        client.DefaultRequestHeaders.Add(Apis.InternalApi.InjectorHeader, presented);

        var response = await client.PostAsync("/internal/v1/credentials/helpdesk/reveal", null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.DoesNotContain("never-shown-token", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_injector_key_in_a_platform_context_reveals_nothing()
    {
        using var client = cp.Client(TestTenantContexts.Operator);
        client.DefaultRequestHeaders.Add(Apis.InternalApi.InjectorHeader, ControlPlaneFixture.ToolInjectionKey);

        var response = await client.PostAsync("/internal/v1/credentials/github/reveal", null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Tenant_a_writing_the_same_integration_does_not_touch_tenant_b()
    {
        var (a, b) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        await PutAsync(b, "github", "secret-of-b");

        await PutAsync(a, "github", "overwrite-attempt");
        using var deleteAsA = cp.Client(TestTenantContexts.Tenant(a));
        await deleteAsA.DeleteAsync("/v1/credentials/github");
        var deleteAgain = await deleteAsA.DeleteAsync("/v1/credentials/github");

        await ProblemAssert.IsProblemAsync(deleteAgain, HttpStatusCode.NotFound);
        using var injectorForB = cp.Client(Injector(b));
        var revealed = await injectorForB.PostAsync("/internal/v1/credentials/github/reveal", null);
        Assert.Equal("secret-of-b", (await revealed.Content.ReadFromJsonAsync<Apis.RevealedCredential>())!.Secret);
    }

    [Fact]
    public async Task A_ciphertext_copied_into_another_tenants_row_does_not_open()
    {
        var (a, b) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        await PutAsync(a, "github", "secret-of-a");
        await PutAsync(b, "github", "secret-of-b");
        await cp.OwnerScalarAsync(
            "UPDATE vault_secrets SET sealed = (SELECT sealed FROM vault_secrets WHERE tenant_id = @b AND integration = 'github') WHERE tenant_id = @a AND integration = 'github'",
            ("a", a), ("b", b));
        using var injectorForA = cp.Client(Injector(a));

        var response = await injectorForA.PostAsync("/internal/v1/credentials/github/reveal", null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.DoesNotContain("secret-of-", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task No_api_answer_contains_a_secret()
    {
        const string secret = "xoxb-visible-nowhere-123";
        var id = await cp.CreateTenantAsync();
        await PutAsync(id, "slack", secret);
        using var op = cp.Operator();
        using var tenant = cp.Client(TestTenantContexts.Tenant(id));

        var answers = new[]
        {
            await op.GetStringAsync($"/admin/v1/tenants/{id}"),
            await op.GetStringAsync("/admin/v1/tenants"),
            await op.GetStringAsync($"/admin/v1/audit?tenantId={id}"),
            await tenant.GetStringAsync($"/internal/v1/tenants/{id}/policy"),
            await (await tenant.GetAsync("/v1/credentials/slack")).Content.ReadAsStringAsync(),
        };

        Assert.All(answers, a => Assert.DoesNotContain(secret, a));
    }

    [Fact]
    public async Task The_operator_cannot_write_a_tenant_credential()
    {
        using var op = cp.Operator();

        var response = await op.PutAsJsonAsync("/v1/credentials/github", new { secret = "s" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM vault_secrets WHERE tenant_id = '_platform'"));
    }

    [Fact]
    public async Task An_offboarded_tenants_context_cannot_write_credentials()
    {
        var id = await cp.CreateTenantAsync();
        using var op = cp.Operator();
        await op.DeleteAsync($"/admin/v1/tenants/{id}");
        using var tenant = cp.Client(TestTenantContexts.Tenant(id));

        var response = await tenant.PutAsJsonAsync("/v1/credentials/github", new { secret = "s" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM vault_keys WHERE tenant_id = @t", ("t", id)));
    }

    private async Task PutAsync(string tenantId, string integration, string secret)
    {
        using var client = cp.Client(TestTenantContexts.Tenant(tenantId));
        (await client.PutAsJsonAsync($"/v1/credentials/{integration}", new { secret })).EnsureSuccessStatusCode();
    }

    private async Task<(byte[] Sealed, int Version)> SealedAsync(string tenantId, string integration)
    {
        await using var conn = new NpgsqlConnection(cp.OwnerConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT sealed, master_key_version FROM vault_secrets WHERE tenant_id = @t AND integration = @i", conn);
        cmd.Parameters.AddWithValue("t", tenantId);
        cmd.Parameters.AddWithValue("i", integration);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return ((byte[])reader[0], reader.GetInt32(1));
    }
}
