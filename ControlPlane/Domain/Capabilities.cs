namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// What a key's principal may do. Grants are explicit per key; <c>tool:&lt;name&gt;</c> only for tools on the
/// tenant's allowlist; <c>platform:*</c> capabilities are the platform's own and are never granted to a tenant key.
/// </summary>
public static class Capabilities
{
    public const string Inference = "inference";
    public const string MemoryRead = "memory:read";
    public const string MemoryWrite = "memory:write";
    public const string Sandbox = "sandbox";
    public const string ToolPrefix = "tool:";

    /// <summary>The capability of the platform's own credential-injection path (egress proxy, tool executor).</summary>
    public const string CredentialInjection = "platform:credential-injection";

    public static readonly IReadOnlyList<string> Basic = [Inference, MemoryRead, MemoryWrite, Sandbox];

    /// <summary>The first capability that may not be granted to a key of a tenant with these tools, or null.</summary>
    public static string? Refused(IReadOnlyList<string?> requested, IReadOnlyList<string> allowedTools)
    {
        foreach (var c in requested)
        {
            if (c is null) return "null";
            if (Basic.Contains(c)) continue;
            if (c.StartsWith(ToolPrefix, StringComparison.Ordinal) && allowedTools.Contains(c[ToolPrefix.Length..])) continue;
            return c;
        }
        return null;
    }
}
