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
/// policy change or suspension applies within a second. A read is a request-path call: it gets <see cref="FetchBudget"/>
/// (retries included); when the ControlPlane does not answer in time or fails, the last policy read (at most
/// <see cref="StaleFor"/> old) is used, since no change can be made while the ControlPlane is away; without one the
/// failure goes to the caller, which answers 503.
/// </summary>
public sealed class TenantPolicyClient(ControlPlaneClient controlPlane, IHttpContextAccessor httpContext, TimeProvider time) : ITenantPolicySource
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan FetchBudget = TimeSpan.FromMilliseconds(750);
    public static readonly TimeSpan StaleFor = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (TenantPolicy? Policy, DateTimeOffset At)> _cache = new();

    public async Task<TenantPolicy?> GetAsync(TenantContext caller, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(caller.TenantId, out var hit) && now - hit.At < CacheFor)
        {
            return hit.Policy;
        }
        TenantPolicy? policy;
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(FetchBudget);
            policy = await controlPlane.GetPolicyAsync(httpContext.HttpContext, caller.TenantId, budget.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested
            && hit.At != default && now - hit.At < StaleFor)
        {
            return hit.Policy;
        }
        _cache[caller.TenantId] = (policy, now);
        return policy;
    }

    /// <summary>Drops a tenant's cached policy (on a policy-changed or offboarded message).</summary>
    public void Forget(string tenantId) => _cache.TryRemove(tenantId, out _);
}
