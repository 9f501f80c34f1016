namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>
/// The kubernetes-sigs/agent-sandbox API as the project defines it: <c>Sandbox</c> in <c>agents.x-k8s.io</c>, and the
/// extensions <c>SandboxTemplate</c>, <c>SandboxWarmPool</c> and <c>SandboxClaim</c> in <c>extensions.agents.x-k8s.io</c>.
/// </summary>
public static class AgentSandboxApi
{
    public const string Group = "agents.x-k8s.io";
    public const string ExtensionsGroup = "extensions.agents.x-k8s.io";
    public const string Version = "v1alpha1";

    public const string Sandboxes = "sandboxes";
    public const string Templates = "sandboxtemplates";
    public const string WarmPools = "sandboxwarmpools";
    public const string Claims = "sandboxclaims";

    /// <summary>Set by the controller on a Sandbox: the pod it runs in (an adopted warm pod keeps its own name).</summary>
    public const string PodNameAnnotation = "agents.x-k8s.io/pod-name";

    public const string ReadyCondition = "Ready";

    public static string ApiVersion(string group) => $"{group}/{Version}";
}

/// <summary>The labels the broker puts on what it creates: selectors for the network policy, never a secret.</summary>
public static class SandboxLabels
{
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string Broker = "agentcloud-sandbox-broker";
    public const string Sandbox = "agentcloud.dev/sandbox";
    public const string Tier = "agentcloud.dev/tier";
    public const string TenantHash = "agentcloud.dev/tenant-hash";
    public const string SandboxId = "agentcloud.dev/sandbox-id";
    public const string OwnerHost = "agentcloud.dev/owner-host";

    /// <summary>A label value naming a tenant without naming it: the first 32 hex digits of SHA-256 of its id.</summary>
    public static string HashOf(string tenantId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(tenantId)))[..32];

    /// <summary>A DNS-1123 name part from anything (a sandbox id, a host name): lower case, [a-z0-9-], at most 40 characters.</summary>
    public static string NamePart(string value)
    {
        var cleaned = new string(value.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return cleaned.Length <= 40 ? cleaned : cleaned[..40].TrimEnd('-');
    }
}
