using AgentCloud.Platform.Contracts;
using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>
/// Whether a create goes to the kubernetes level. It does when the request asks for <c>"isolation": "kubernetes"</c>;
/// or, asking for no level, when the tenant's levels (its tier's default or its own override) name <c>kubernetes</c>
/// first, or when this broker's own ladder offers nothing (the published broker, whose local ladder is off), in both
/// cases only while the level is available. A create that asks for a ladder level never does.
/// </summary>
public sealed class ClusterPlacement(IsolationCatalog catalog, KubernetesLevel level, IOptions<KubernetesSandboxOptions> options)
{
    /// <summary>
    /// Whether <see cref="Selects"/> could say yes at all, known without the tenant's policy: the create asks for the level
    /// or the level is available. Where neither holds (every broker without a cluster), a create goes straight to the ladder.
    /// </summary>
    public bool MayApply(CreateSandboxRequest request) =>
        request.Isolation == KubernetesLevel.Name || catalog.Clusters.Any(c => c.Level == KubernetesLevel.Name && c.Available);

    /// <summary>True for the cluster; false for the host's ladder; a refusal when the cluster is meant but cannot be had.</summary>
    /// <exception cref="SandboxRefusal">the kubernetes level was selected but is unavailable, not allowed to the tier, or asked for a host template.</exception>
    public bool Selects(TenantPolicy policy, CreateSandboxRequest request)
    {
        var asked = request.Isolation == KubernetesLevel.Name;
        var byPolicy = request.Isolation is null && policy.SandboxIsolationLevels is [KubernetesLevel.Name, ..];
        var ladderOff = request.Isolation is null && (catalog.HostRefusal is not null || !catalog.Available.Any());
        var cluster = catalog.Clusters.FirstOrDefault(c => c.Level == KubernetesLevel.Name);
        // Only an explicit ask insists: a tenant's levels fall back to the rest of its list where no cluster is configured.
        if (!asked && !((byPolicy || ladderOff) && cluster is { Available: true }))
        {
            return false;
        }
        if (cluster is not { Available: true })
        {
            throw new SandboxRefusal(RefusalKind.NoAcceptableIsolation,
                $"The kubernetes level is unavailable on this broker: {cluster?.Reason ?? "not registered"}. Ask for one of [{string.Join(", ", catalog.Available)}] or leave isolation out.");
        }
        // A pod under gVisor or Kata is at least the gvisor level; under plain runc only a tier that names kubernetes may have it.
        if (asked && level.RuntimeClass is null && !policy.SandboxIsolationLevels.Contains(KubernetesLevel.Name))
        {
            throw new SandboxRefusal(RefusalKind.Invalid,
                $"This cluster runs sandbox pods without gVisor or Kata, weaker than tier '{policy.Tier}' allows; ask for one of [{string.Join(", ", IsolationCatalog.Allowed(policy.SandboxIsolationLevels))}] or leave isolation out.");
        }
        if (request.Template is { } template && template != SandboxTemplate.DefaultName)
        {
            throw new SandboxRefusal(RefusalKind.Invalid,
                $"Template '{template}' is a host template; a kubernetes sandbox runs its tier's SandboxTemplate. Leave template out, or ask for a ladder level.");
        }
        if (!options.Value.Tiers.ContainsKey(policy.Tier))
        {
            throw new SandboxRefusal(RefusalKind.NotAllowed,
                $"Tier '{policy.Tier}' has no SandboxTemplate on this broker's cluster (tiers: {string.Join(", ", options.Value.Tiers.Keys)}).");
        }
        return true;
    }
}
