using System.Net.Http.Json;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.Tests.Shared;
using Npgsql;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>
/// The second wall: connected as the service's own role, a query that forgets its tenant filter still sees
/// only the tenant set for its transaction, on every tenant table.
/// </summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class RowLevelSecurityTests(ControlPlaneFixture cp)
{
    public static TheoryData<string> TenantTables => new()
    {
        "tenants", "tenant_models", "tenant_allowlist", "api_keys", "vault_keys", "vault_secrets", "audit_events", "audit_heads", "projects", "alert_webhooks", "alert_deliveries",
    };

    [Theory]
    [MemberData(nameof(TenantTables))]
    public async Task Unfiltered_select_with_tenant_a_set_returns_only_a_rows(string table)
    {
        var (a, b) = (await CreateFullTenantAsync(), await CreateFullTenantAsync());
        Assert.True(await cp.OwnerScalarAsync($"SELECT count(*) FROM {table} WHERE tenant_id = @b", ("b", b)) > 0, $"{table} has rows of B");

        var seen = await TenantIdsAsync(table, a);

        Assert.NotEmpty(seen);
        Assert.All(seen, t => Assert.Equal(a, t));
    }

    [Theory]
    [MemberData(nameof(TenantTables))]
    public async Task Without_a_tenant_set_the_service_role_sees_no_rows(string table)
    {
        await CreateFullTenantAsync();

        var seen = await TenantIdsAsync(table, tenantId: null);

        Assert.Empty(seen);
    }

    [Fact]
    public async Task Writing_a_row_for_another_tenant_is_refused_by_the_policy()
    {
        var (a, b) = (await CreateFullTenantAsync(), await CreateFullTenantAsync());
        await using var conn = await ServiceRoleAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await SetTenantAsync(conn, a);

        await using var insert = new NpgsqlCommand("INSERT INTO tenant_allowlist (tenant_id, kind, value) VALUES (@b, 'tool', 'smuggled')", conn);
        insert.Parameters.AddWithValue("b", b);
        var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task Updating_or_deleting_another_tenants_rows_touches_nothing()
    {
        var (a, b) = (await CreateFullTenantAsync(), await CreateFullTenantAsync());
        await using var conn = await ServiceRoleAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await SetTenantAsync(conn, a);

        await using var update = new NpgsqlCommand("UPDATE tenants SET name = 'hijacked' WHERE tenant_id = @b", conn);
        update.Parameters.AddWithValue("b", b);
        await using var delete = new NpgsqlCommand("DELETE FROM api_keys WHERE tenant_id = @b", conn);
        delete.Parameters.AddWithValue("b", b);

        Assert.Equal(0, await update.ExecuteNonQueryAsync());
        Assert.Equal(0, await delete.ExecuteNonQueryAsync());
    }

    [Theory]
    [InlineData("UPDATE audit_events SET action = 'nothing happened'")]
    [InlineData("DELETE FROM audit_events")]
    public async Task The_service_role_cannot_change_the_audit_trail(string sql)
    {
        var a = await CreateFullTenantAsync();
        await using var conn = await ServiceRoleAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await SetTenantAsync(conn, a);

        var error = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(sql, conn).ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task The_service_role_is_not_the_owner_and_cannot_bypass_row_level_security()
    {
        await using var conn = await ServiceRoleAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT r.rolsuper, r.rolbypassrls, (SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) FROM pg_roles r WHERE r.rolname = current_user", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());

        Assert.False(reader.GetBoolean(0));
        Assert.False(reader.GetBoolean(1));
        Assert.Equal(0, reader.GetInt64(2));
    }

    /// <summary>A tenant with a row in every tenant table: models, tools, egress, a project, a key, a credential, audit events.</summary>
    private async Task<string> CreateFullTenantAsync()
    {
        var id = await cp.CreateTenantAsync(new
        {
            name = "Full", tier = "pro", models = new[] { new { id = "sim-small" } }, tools = new[] { "search" }, egress = new[] { "api.github.com" },
        });
        using var op = cp.Operator();
        (await op.PostAsJsonAsync($"/admin/v1/tenants/{id}/projects", new { name = "full" })).EnsureSuccessStatusCode();
        await cp.CreateKeyAsync(id);
        using var tenant = cp.Client(TestTenantContexts.Tenant(id));
        (await tenant.PutAsJsonAsync("/v1/credentials/github", new { secret = "s3cret" })).EnsureSuccessStatusCode();
        (await op.PutAsJsonAsync($"/admin/v1/tenants/{id}/alerts/webhook", new { url = "https://8.8.8.8/hook" })).EnsureSuccessStatusCode();
        // A settled delivery, written as the owner: nothing is sent anywhere.
        await cp.OwnerScalarAsync("""
            INSERT INTO alert_deliveries (alert_id, tenant_id, body, state, attempts, next_attempt_at, created_at)
            VALUES (@id || ':budget:80', @id, '{}', 'delivered', 1, now(), now())
            """, ("id", id));
        return id;
    }

    private async Task<List<string>> TenantIdsAsync(string table, string? tenantId)
    {
        await using var conn = await ServiceRoleAsync();
        await using var tx = await conn.BeginTransactionAsync();
        if (tenantId is not null)
        {
            await SetTenantAsync(conn, tenantId);
        }
        // Deliberately no WHERE: the policy alone must keep other tenants out.
        await using var cmd = new NpgsqlCommand($"SELECT tenant_id FROM {table}", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    private async Task<NpgsqlConnection> ServiceRoleAsync()
    {
        var conn = new NpgsqlConnection(cp.ServiceRoleConnectionString);
        await conn.OpenAsync();
        return conn;
    }

    private static async Task SetTenantAsync(NpgsqlConnection conn, string tenantId)
    {
        await using var set = new NpgsqlCommand($"SELECT set_config('{ServiceRole.TenantSetting}', @t, true)", conn);
        set.Parameters.AddWithValue("t", tenantId);
        await set.ExecuteNonQueryAsync();
    }
}
