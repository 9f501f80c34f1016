using AgentCloud.Platform.Contracts;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// What a key's principal may do, from the platform's <see cref="CapabilityCatalogue"/>. Grants are explicit per key;
/// <c>tool:&lt;name&gt;</c> only for tools on the tenant's allowlist; <c>platform:*</c> capabilities are the platform's
/// own and are never granted to a tenant key.
/// </summary>
public static class Capabilities
{
    public const string Inference = CapabilityCatalogue.Inference;
    public const string MemoryRead = CapabilityCatalogue.MemoryRead;
    public const string MemoryWrite = CapabilityCatalogue.MemoryWrite;
    public const string Sandbox = CapabilityCatalogue.Sandbox;
    public const string UsageRead = CapabilityCatalogue.UsageRead;
    public const string CredentialsWrite = CapabilityCatalogue.CredentialsWrite;
    public const string KeysAdmin = CapabilityCatalogue.KeysAdmin;
    public const string ProjectsAdmin = CapabilityCatalogue.ProjectsAdmin;
    public const string AlertsAdmin = CapabilityCatalogue.AlertsAdmin;
    public const string ToolPrefix = CapabilityCatalogue.ToolPrefix;

    /// <summary>The capability of the platform's own credential-injection path (egress proxy, tool executor).</summary>
    public const string CredentialInjection = "platform:credential-injection";

    /// <summary>What a key created without a list gets (<c>credentials:write</c> only when asked for).</summary>
    public static IReadOnlyList<string> Basic => CapabilityCatalogue.TenantKeyDefaults;

    /// <summary>The first capability that may not be granted to a key of a tenant with these tools, or null.</summary>
    public static string? Refused(IReadOnlyList<string?> requested, IReadOnlyList<string> allowedTools)
    {
        foreach (var c in requested)
        {
            if (c is null) return "null";
            if (CapabilityCatalogue.Fixed.Contains(c)) continue;
            if (CapabilityCatalogue.IsTool(c) && allowedTools.Contains(c[ToolPrefix.Length..])) continue;
            return c;
        }
        return null;
    }
}
