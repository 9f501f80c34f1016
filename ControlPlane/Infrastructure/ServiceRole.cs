using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace AgentCloud.ControlPlane.Infrastructure;

/// <summary>
/// The database role the request path runs as: not the tables' owner and without BYPASSRLS, so row-level
/// security always applies. Its password is derived from the vault master key, so every replica agrees on it
/// without another secret; the migrator (connected as the owner) sets it at start.
/// </summary>
public static class ServiceRole
{
    public const string Name = "agentcloud_controlplane";

    /// <summary>Transaction-local settings <see cref="TenantDb"/> sets before any statement.</summary>
    public const string TenantSetting = "app.tenant_id";
    public const string PlatformScopeSetting = "app.platform_scope";

    /// <summary>The row filter of every tenant table's policy; with neither setting made, it admits nothing.</summary>
    public const string RowFilter =
        $"tenant_id = current_setting('{TenantSetting}', true) OR current_setting('{PlatformScopeSetting}', true) = 'on'";

    public static string PasswordFor(string vaultMasterKey) =>
        Convert.ToHexStringLower(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(vaultMasterKey), 32,
            info: Encoding.UTF8.GetBytes("agentcloud-controlplane-database-role")));

    /// <summary>The owner's connection string with the service role's credentials instead.</summary>
    public static string? ConnectionStringFor(string? ownerConnectionString, string password)
    {
        if (string.IsNullOrEmpty(ownerConnectionString))
        {
            return ownerConnectionString;
        }
        return new NpgsqlConnectionStringBuilder(ownerConnectionString) { Username = Name, Password = password }.ConnectionString;
    }

    /// <summary>
    /// Lets the role log in with the derived password (the role itself is created by a migration). Runs on a
    /// connection of its own, outside the logged data source, because ALTER ROLE cannot take the password as a parameter.
    /// </summary>
    public static async Task EnableLoginAsync(string ownerConnectionString, string password, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(ct);
        // The password is hex, so it cannot break out of the literal.
        await using var cmd = new NpgsqlCommand($"ALTER ROLE {Name} WITH LOGIN PASSWORD '{password}'", connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
