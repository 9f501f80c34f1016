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

    /// <summary>The route for this tenant and model, or null when no endpoint the tenant may use serves it.</summary>
    public EndpointRoute? Select(TenantPolicy policy, string model, ulong? prefixKey = null)
    {
        if (WantsDedicated(policy))
        {
            var own = endpoints.FirstOrDefault(e => !e.IsShared && e.TenantId == policy.TenantId && e.Serves(model));
            if (own is not null)
            {
                return new EndpointRoute(own, InferencePlacement.Dedicated, ExclusiveToTenant: true);
            }
            var pool = endpoints.Where(e => !e.IsShared && e.TenantId is null && e.Tier == policy.Tier && e.Serves(model)).ToList();
            return pool.Count == 0 ? null : new EndpointRoute(pool.MaxBy(e => Rendezvous(policy.TenantId, e.Name))!, InferencePlacement.Dedicated, ExclusiveToTenant: false);
        }
        var shared = endpoints.Where(e => e.IsShared && e.Serves(model)).ToList();
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
