using System.Security.Claims;

namespace AgentCloud.Console.Auth;

/// <summary>
/// What the session cookie holds: the role, the tenant (for a tenant key), the key's prefix to show, and the key itself,
/// which only the cookie (encrypted with Data Protection) carries and only <see cref="ConsoleUser"/> reads, to call the API.
/// </summary>
public static class ConsoleClaims
{
    public const string Scheme = "agentcloud-console";
    public const string OperatorRole = "operator";
    public const string TenantRole = "tenant";
    public const string KeyType = "agentcloud:key";
    public const string TenantType = "agentcloud:tenant";
    public const string PrefixType = "agentcloud:key-prefix";

    public static ClaimsPrincipal Operator(string key) => Principal(OperatorRole, key, tenantId: null);

    public static ClaimsPrincipal Tenant(string key, string tenantId) => Principal(TenantRole, key, tenantId);

    public static bool IsOperator(this ClaimsPrincipal user) => user.IsInRole(OperatorRole);

    public static string? TenantId(this ClaimsPrincipal user) => user.IsInRole(TenantRole) ? user.FindFirstValue(TenantType) : null;

    public static string? KeyPrefix(this ClaimsPrincipal user) => user.FindFirstValue(PrefixType);

    /// <summary>Enough of a key to tell keys apart, never enough to use one: a tenant key's public prefix, or the first four characters.</summary>
    public static string PrefixOf(string key)
    {
        var parts = key.Split('_');
        return parts.Length == 3 && parts[0] == "ac" ? $"ac_{parts[1]}_…" : key[..Math.Min(4, key.Length)] + "…";
    }

    private static ClaimsPrincipal Principal(string role, string key, string? tenantId)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, role == OperatorRole ? "Operator" : tenantId!),
            new(ClaimTypes.Role, role),
            new(KeyType, key),
            new(PrefixType, PrefixOf(key)),
        };
        if (tenantId is not null)
        {
            claims.Add(new Claim(TenantType, tenantId));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, ClaimTypes.Name, ClaimTypes.Role));
    }
}
