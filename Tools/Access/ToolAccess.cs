using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.Tools.Access;

/// <summary>
/// Which tools a caller may use: those on its tenant's allowlist (the policy's <c>tools</c>) for which its key also
/// holds <c>tool:&lt;name&gt;</c>. Both must agree; neither alone admits anything.
/// </summary>
public static class ToolAccess
{
    public const string CapabilityPrefix = "tool:";

    public static bool Allows(TenantPolicy policy, TenantContext caller, string tool) =>
        tool.Length > 0
        && caller.TenantId != TenantContext.PlatformTenantId
        && policy.Tools.Contains(tool, StringComparer.Ordinal)
        && caller.Has(CapabilityPrefix + tool);

    /// <summary>Every tool name the caller may use (the intersection, before asking whether each exists).</summary>
    public static IReadOnlySet<string> Permitted(TenantPolicy policy, TenantContext caller) =>
        policy.Tools.Where(t => Allows(policy, caller, t)).ToHashSet(StringComparer.Ordinal);
}
