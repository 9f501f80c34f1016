using AgentCloud.Platform.Contracts;
using AgentCloud.SandboxBroker.Egress;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>A tenant's sandbox in the cluster: its claim and, where it has egress, its registration with the pods' proxy.</summary>
public sealed class ClusterSandbox(string id, string tenantId, ClaimedSandbox claim, IDisposable? egress)
{
    public string Id { get; } = id;

    public string TenantId { get; } = tenantId;

    public ClaimedSandbox Claim { get; } = claim;

    internal IDisposable? Egress { get; } = egress;
}

/// <summary>
/// Creates and deletes a tenant's sandboxes on the kubernetes level as the tenant's policy says: its tier's template,
/// its dedicated pool when it has one, and egress to its allowlist only, through <see cref="ClusterEgress"/>.
/// </summary>
public sealed class ClusterSandboxes(KubernetesSandboxes sandboxes, ClusterEgress egress, KubernetesCluster cluster)
{
    public async Task<ClusterSandbox> CreateAsync(string sandboxId, TenantPolicy policy, string? runId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var claim = await sandboxes.ClaimAsync(sandboxId, policy.TenantId, policy.Tier, policy.DedicatedSandboxPool, expiresAt, cancellationToken);
        try
        {
            // No proxy address: the pods were given no proxy and their policy reaches nothing, so there is nothing to register.
            var registration = cluster.Options.EgressProxyAddress is not null && policy.Egress.Count > 0 && claim.PodIps.Count > 0
                ? egress.Register(claim.PodIps, new DomainAllowlist(policy.Egress), policy.TenantId, sandboxId, runId)
                : null;
            return new ClusterSandbox(sandboxId, policy.TenantId, claim, registration);
        }
        catch (Exception e)
        {
            await sandboxes.DeleteAsync(claim.ClaimName, CancellationToken.None);
            // A pod IP still registered: the sandbox it belonged to is still being deleted; a retry gets another pod.
            throw e is InvalidOperationException ? new KubernetesSandboxException(e.Message, e) : e;
        }
    }

    /// <summary>Stops the sandbox's egress first (its pod IP may go to another pod), then deletes its claim.</summary>
    public Task<bool> DeleteAsync(ClusterSandbox sandbox, CancellationToken cancellationToken)
    {
        sandbox.Egress?.Dispose();
        return sandboxes.DeleteAsync(sandbox.Claim.ClaimName, cancellationToken);
    }
}
