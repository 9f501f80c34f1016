using System.Collections.Concurrent;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.InferenceRouter.Tests.Hosting;

/// <summary>Tenant policies a test sets, standing in for the ControlPlane behind our own <see cref="ITenantPolicySource"/> contract.</summary>
public sealed class FixedPolicies : ITenantPolicySource
{
    private readonly ConcurrentDictionary<string, TenantPolicy> _policies = new();

    public Task<TenantPolicy?> GetAsync(TenantContext caller, CancellationToken cancellationToken) =>
        Task.FromResult(_policies.TryGetValue(caller.TenantId, out var p) ? p : null);

    /// <summary>Changes a tenant's policy (e.g. its token budgets).</summary>
    public void Change(string tenantId, Func<TenantPolicy, TenantPolicy> change) => _policies[tenantId] = change(_policies[tenantId]);

    /// <summary>A new tenant with a unique id; tier defaults follow the platform's: free/pro shared and isolated, enterprise dedicated.</summary>
    public TenantContext Add(string tier, string kvCache = "isolated", IReadOnlyList<ModelEntitlement>? models = null, string? tenantId = null)
    {
        var id = tenantId ?? $"{tier}-{Guid.NewGuid():N}"[..20];
        var dedicated = tier == "enterprise";
        _policies[id] = new TenantPolicy
        {
            TenantId = id,
            Tier = tier,
            InferencePlacement = dedicated ? InferencePlacement.Dedicated : InferencePlacement.Shared,
            KvCachePolicy = dedicated ? KvCachePolicy.Dedicated : WireNames.Parse<KvCachePolicy>(kvCache),
            Models = models ?? [new ModelEntitlement("sim-small", 8192), new ModelEntitlement("sim-slow", 8192)],
        };
        return new TenantContext(id, tier, $"key:{id}", ["inference"], RunId: "run-" + id);
    }
}
