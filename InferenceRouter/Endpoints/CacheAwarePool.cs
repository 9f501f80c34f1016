using System.Collections.Concurrent;
using AgentCloud.InferenceRouter.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>
/// Picks a shared replica for a prompt's routing key by consistent hashing with bounded loads over the replicas that
/// serve the model, the load being each replica's placed calls. One ring per model, built on first use.
/// </summary>
public sealed class CacheAwarePool(IOptions<RoutingOptions> options, PlacedCalls placed)
{
    private readonly ConcurrentDictionary<string, HashRing> _rings = new(StringComparer.Ordinal);

    public (UpstreamEndpoint Endpoint, bool Spilled) Choose(string model, IReadOnlyList<UpstreamEndpoint> shared, ulong key)
    {
        var o = options.Value;
        var ring = _rings.AddOrUpdate(model, _ => Build(shared, o), (_, known) => SameReplicas(known, shared) ? known : Build(shared, o));
        var choice = BoundedLoad.Choose(ring, key, placed.Depth, o.LoadFactor);
        return (shared[choice.Replica], choice.Spilled);
    }

    private static HashRing Build(IReadOnlyList<UpstreamEndpoint> shared, RoutingOptions o) => new(shared.Select(e => e.Name).ToList(), o.VirtualNodes);

    /// <summary>The ring's replica indexes are positions in the list it was built from, so it serves only that same list.</summary>
    private static bool SameReplicas(HashRing ring, IReadOnlyList<UpstreamEndpoint> shared)
    {
        if (ring.Replicas.Count != shared.Count)
        {
            return false;
        }
        for (var i = 0; i < shared.Count; i++)
        {
            if (!string.Equals(ring.Replicas[i], shared[i].Name, StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }
}
