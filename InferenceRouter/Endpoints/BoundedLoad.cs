namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>What the bounded-load walk decided: the replica, and whether it was the key's own or a spill past a full one.</summary>
public readonly record struct BoundedChoice(int Replica, bool Spilled);

/// <summary>
/// Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, SODA 2018): walk the ring from the key
/// and take the first replica that stays within <c>ceil(factor × average)</c> once it takes this call, the average
/// counting this call too. Some replica always qualifies (the bounds sum to more than the calls), so the walk ends;
/// a key moves off its replica only while that replica is above the bound, and comes back when it drains.
/// </summary>
public static class BoundedLoad
{
    public static BoundedChoice Choose(HashRing ring, ulong key, Func<string, int> load, double factor)
    {
        var loads = ring.Replicas.Select(load).ToArray();
        var bound = Bound(loads.Sum() + 1, loads.Length, factor);
        var first = -1;
        foreach (var replica in ring.Walk(key))
        {
            if (first < 0)
            {
                first = replica;
            }
            if (loads[replica] + 1 <= bound)
            {
                return new BoundedChoice(replica, replica != first);
            }
        }
        // Only reached with a factor below 1; the least loaded is then the closest to the bound.
        return new BoundedChoice(Array.IndexOf(loads, loads.Min()), true);
    }

    /// <summary>The most calls one replica may hold when <paramref name="calls"/> are spread over <paramref name="replicas"/>.</summary>
    public static int Bound(int calls, int replicas, double factor) => (int)Math.Ceiling(factor * calls / replicas - 1e-9);
}
