using System.Collections.Concurrent;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.Tools.Tests.Support;

/// <summary>Stands in for the ControlPlane's policies: each test sets its tenants' tool and egress allowlists.</summary>
public sealed class TestPolicies : ITenantPolicySource
{
    private readonly ConcurrentDictionary<string, TenantPolicy> _policies = new();

    public void Set(string tenantId, IReadOnlyList<string> tools, IReadOnlyList<string>? egress = null) =>
        _policies[tenantId] = new TenantPolicy { TenantId = tenantId, Tier = "pro", Tools = tools, Egress = egress ?? [] };

    public Task<TenantPolicy?> GetAsync(TenantContext caller, CancellationToken cancellationToken) =>
        Task.FromResult(_policies.GetValueOrDefault(caller.TenantId));
}
