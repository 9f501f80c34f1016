using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.Memory.Tests.Support;

/// <summary>
/// Stands in for the ControlPlane: a tenant whose id starts with <see cref="DedicatedPrefix"/> has dedicated collections,
/// any other shared ones; ids starting with <see cref="GonePrefix"/> no longer exist.
/// </summary>
public sealed class FixedTenantPolicies : ITenantPolicySource
{
    public const string DedicatedPrefix = "ded-";
    public const string GonePrefix = "gone-";

    public Task<TenantPolicy?> GetAsync(TenantContext caller, CancellationToken cancellationToken) =>
        Task.FromResult(caller.TenantId.StartsWith(GonePrefix, StringComparison.Ordinal)
            ? null
            : new TenantPolicy
            {
                TenantId = caller.TenantId,
                Tier = caller.Tier,
                MemoryIsolation = caller.TenantId.StartsWith(DedicatedPrefix, StringComparison.Ordinal) ? MemoryIsolation.DedicatedCollection : MemoryIsolation.SharedCollection,
            });
}
