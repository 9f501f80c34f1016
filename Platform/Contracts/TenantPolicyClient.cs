using System.Collections.Concurrent;
using AgentCloud.Platform.ControlPlane;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http;

namespace AgentCloud.Platform.Contracts;

/// <summary>Where a service gets a tenant's policy; the HTTP one asks the ControlPlane.</summary>
public interface ITenantPolicySource
{
    /// <summary>The policy of the tenant in <paramref name="caller"/>'s context, or null when the tenant no longer exists.</summary>
    Task<TenantPolicy?> GetAsync(TenantContext caller, CancellationToken cancellationToken);
}

/// <summary>
/// Reads a tenant's policy from the ControlPlane (<c>GET /internal/v1/tenants/{id}/policy</c>), forwarding the
/// caller's onward context for the ControlPlane so it answers for that tenant only; cached for a second, so a
/// policy change or suspension applies within a second.
/// </summary>
public sealed class TenantPolicyClient(ControlPlaneClient controlPlane, IHttpContextAccessor httpContext, TimeProvider time) : ITenantPolicySource
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (TenantPolicy? Policy, DateTimeOffset At)> _cache = new();

    public async Task<TenantPolicy?> GetAsync(TenantContext caller, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(caller.TenantId, out var hit) && now - hit.At < CacheFor)
        {
            return hit.Policy;
        }
        var policy = await controlPlane.GetPolicyAsync(httpContext.HttpContext, caller.TenantId, cancellationToken);
        _cache[caller.TenantId] = (policy, now);
        return policy;
    }

    /// <summary>Drops a tenant's cached policy (on a policy-changed or offboarded message).</summary>
    public void Forget(string tenantId) => _cache.TryRemove(tenantId, out _);
}
