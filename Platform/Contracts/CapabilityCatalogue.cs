namespace AgentCloud.Platform.Contracts;

/// <summary>
/// The platform's one catalogue of what a tenant key may be granted, and what each public route needs (the Gateway's
/// route table names these). <c>platform:*</c> capabilities are the platform's own identities and never a tenant's.
/// </summary>
public static class CapabilityCatalogue
{
    public const string Inference = "inference";
    public const string MemoryRead = "memory:read";
    public const string MemoryWrite = "memory:write";
    public const string Sandbox = "sandbox";
    public const string UsageRead = "usage:read";
    public const string CredentialsWrite = "credentials:write";

    /// <summary>Manage the tenant's own keys (<c>/v1/keys</c>); a key never grants more than it holds itself.</summary>
    public const string KeysAdmin = "keys:admin";

    /// <summary>Manage the tenant's projects (<c>/v1/projects</c>): their budgets bound what the tenant's keys may spend.</summary>
    public const string ProjectsAdmin = "projects:admin";

    /// <summary>Manage the tenant's alert webhook and its signing secret, and read its deliveries (<c>/v1/alerts</c>).</summary>
    public const string AlertsAdmin = "alerts:admin";
    public const string ToolPrefix = "tool:";

    /// <summary>A route requirement met by any <c>tool:&lt;name&gt;</c> (the tools service then checks the tool itself).</summary>
    public const string AnyTool = "tool:*";

    /// <summary>Every fixed capability a tenant key may hold; <c>tool:&lt;name&gt;</c> comes on top, per allowlisted tool.</summary>
    public static readonly IReadOnlyList<string> Fixed = [Inference, MemoryRead, MemoryWrite, Sandbox, UsageRead, CredentialsWrite, KeysAdmin, ProjectsAdmin, AlertsAdmin];

    /// <summary>
    /// What a tenant key gets when created without a list: everything an agent needs to work and read its own spending;
    /// <c>credentials:write</c> (changing the vault) only when asked for.
    /// </summary>
    public static readonly IReadOnlyList<string> TenantKeyDefaults = [Inference, MemoryRead, MemoryWrite, Sandbox, UsageRead];

    public static bool IsTool(string capability) =>
        capability.StartsWith(ToolPrefix, StringComparison.Ordinal) && capability.Length > ToolPrefix.Length && capability != AnyTool;

    /// <summary>True when <paramref name="held"/> meets <paramref name="required"/> (a named capability, or <see cref="AnyTool"/>).</summary>
    public static bool Satisfies(IReadOnlyList<string> held, string required) =>
        required == AnyTool ? held.Any(IsTool) : held.Contains(required, StringComparer.Ordinal);
}
