using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>
/// The configured upstreams and the placement rules: dedicated tenants get their own endpoint (one named for the
/// tenant, else one of their tier's dedicated pool, chosen by hashing the tenant id so a tenant always lands on the
/// same one); everyone else gets a shared endpoint: the replica of its prompt's routing key within a load bound
/// (<see cref="CacheAwarePool"/>) when it has a key, else the least busy. Dedicated endpoints never serve other tenants.
/// </summary>
public sealed class EndpointCatalogue(IReadOnlyList<UpstreamEndpoint> endpoints, EndpointLoad load, CacheAwarePool? cacheAware = null)
{
    private int _roundRobin;

    public IReadOnlyList<UpstreamEndpoint> Endpoints => endpoints;

    public bool Serves(string model) => endpoints.Any(e => e.Serves(model));

    public static bool WantsDedicated(TenantPolicy policy) =>
        policy.InferencePlacement == InferencePlacement.Dedicated || policy.KvCachePolicy == KvCachePolicy.Dedicated;

    /// <summary>
    /// Whether the tenant may be placed on this endpoint for this model: it serves it, and its cache is either partitioned
    /// by salt, the tenant's own, or the tenant's policy accepts a cache shared with other tenants.
    /// </summary>
    public static bool Admits(UpstreamEndpoint e, TenantPolicy policy, string model, CallNeeds needs = CallNeeds.None) =>
        e.Serves(model) && (!e.HasCrossTenantCache || policy.KvCachePolicy == KvCachePolicy.Shared)
        && (!needs.HasFlag(CallNeeds.Tools) || e.SupportsTools) && (!needs.HasFlag(CallNeeds.Embeddings) || e.SupportsEmbeddings);

    /// <summary>Whether some endpoint serves the model but none keeps this tenant's cache apart (for a refusal that says so).</summary>
    public bool OnlySharedCacheServes(TenantPolicy policy, string model, CallNeeds needs = CallNeeds.None) =>
        Select(policy, model, needs) is null && Select(policy with { KvCachePolicy = KvCachePolicy.Shared }, model, needs) is not null;

    /// <summary>
    /// Where a call goes after <paramref name="tried"/> failed: another endpoint serving the model under the same placement
    /// rules (the tenant's own, then its tier's pool, or the shared pool), or null when none is left.
    /// </summary>
    public EndpointRoute? Fallback(TenantPolicy policy, string model, IReadOnlyCollection<string> tried, CallNeeds needs = CallNeeds.None)
    {
        if (WantsDedicated(policy))
        {
            var own = endpoints.FirstOrDefault(e => !e.IsShared && e.TenantId == policy.TenantId && Admits(e, policy, model, needs) && !tried.Contains(e.Name));
            if (own is not null)
            {
                return new EndpointRoute(own, InferencePlacement.Dedicated, ExclusiveToTenant: true);
            }
            var next = endpoints.Where(e => !e.IsShared && e.TenantId is null && e.Tier == policy.Tier && Admits(e, policy, model, needs) && !tried.Contains(e.Name))
                .MaxBy(e => Rendezvous(policy.TenantId, e.Name));
            return next is null ? null : new EndpointRoute(next, InferencePlacement.Dedicated, ExclusiveToTenant: false);
        }
        var shared = endpoints.Where(e => e.IsShared && Admits(e, policy, model, needs) && !tried.Contains(e.Name)).MinBy(e => load.InFlight(e.Name));
        return shared is null ? null : new EndpointRoute(shared, InferencePlacement.Shared, ExclusiveToTenant: false);
    }

    /// <summary>The route for this tenant and model, or null when no endpoint the tenant may use serves it.</summary>
    public EndpointRoute? Select(TenantPolicy policy, string model, CallNeeds needs = CallNeeds.None, ulong? prefixKey = null)
    {
        if (WantsDedicated(policy))
        {
            var own = endpoints.FirstOrDefault(e => !e.IsShared && e.TenantId == policy.TenantId && Admits(e, policy, model, needs));
            if (own is not null)
            {
                return new EndpointRoute(own, InferencePlacement.Dedicated, ExclusiveToTenant: true);
            }
            var pool = endpoints.Where(e => !e.IsShared && e.TenantId is null && e.Tier == policy.Tier && Admits(e, policy, model, needs)).ToList();
            return pool.Count == 0 ? null : new EndpointRoute(pool.MaxBy(e => Rendezvous(policy.TenantId, e.Name))!, InferencePlacement.Dedicated, ExclusiveToTenant: false);
        }
        var shared = endpoints.Where(e => e.IsShared && Admits(e, policy, model, needs)).ToList();
        if (shared.Count == 0)
        {
            return null;
        }
        if (prefixKey is { } key && cacheAware is not null)
        {
            var (replica, spilled) = cacheAware.Choose(model, shared, key);
            return new EndpointRoute(replica, InferencePlacement.Shared, ExclusiveToTenant: false) { Decision = spilled ? RouteDecision.CacheSpill : RouteDecision.CacheAffinity };
        }
        // Least in flight; ties go round-robin so an idle pool still spreads the work.
        var start = (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)shared.Count);
        var best = Enumerable.Range(0, shared.Count).Select(i => shared[(start + i) % shared.Count]).MinBy(e => load.InFlight(e.Name))!;
        return new EndpointRoute(best, InferencePlacement.Shared, ExclusiveToTenant: false) { Decision = RouteDecision.LeastLoaded };
    }

    /// <summary>Highest-random-weight hashing: stable per tenant, and adding an endpoint moves only the tenants it wins.</summary>
    private static ulong Rendezvous(string tenantId, string endpoint) =>
        BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(tenantId + "\n" + endpoint)));
}
