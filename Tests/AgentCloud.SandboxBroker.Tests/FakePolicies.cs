using System.Collections.Concurrent;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Stands in for the ControlPlane: fixed policies per tenant, a sensible default for others.</summary>
public sealed class FakePolicies : ITenantPolicySource
{
    private readonly ConcurrentDictionary<string, TenantPolicy> _policies = new();

    public static TenantPolicy Default(string tenantId) => new()
    {
        TenantId = tenantId,
        Tier = "pro",
        MaxConcurrentSandboxes = 4,
        SandboxIsolationLevels = ["firecracker", "gvisor", "bubblewrap", "namespace"],
    };

    public void Set(TenantPolicy policy) => _policies[policy.TenantId] = policy;

    public Task<TenantPolicy?> GetAsync(TenantContext caller, CancellationToken cancellationToken) =>
        Task.FromResult<TenantPolicy?>(_policies.GetValueOrDefault(caller.TenantId) ?? Default(caller.TenantId));
}
