using AgentCloud.InferenceRouter.Endpoints;

namespace AgentCloud.InferenceRouter.Tests.Routing;

public sealed class BoundedLoadRingTests
{
    private static readonly string[] Three = ["r-0", "r-1", "r-2"];
    private static readonly ulong[] Keys = Enumerable.Range(0, 2000).Select(i => HashRing.Hash($"key-{i}")).ToArray();

    private static Func<string, int> Loads(params (string Replica, int Calls)[] loads) =>
        r => loads.FirstOrDefault(l => l.Replica == r).Calls;

    [Fact]
    public void A_key_maps_to_the_same_replica_on_every_ring_built_from_the_same_replicas()
    {
        var ring = new HashRing(Three, 160);
        var again = new HashRing(["r-2", "r-0", "r-1"], 160);

        Assert.Equal(Keys.Select(ring.Owner), Keys.Select(again.Owner));
        Assert.Equal(Keys.Select(ring.Owner), Keys.Select(ring.Owner));
    }

    [Fact]
    public void Keys_spread_over_every_replica()
    {
        var ring = new HashRing(Three, 160);

        var shares = Keys.GroupBy(ring.Owner).ToDictionary(g => g.Key, g => g.Count() / (double)Keys.Length);

        Assert.Equal(Three, shares.Keys.Order());
        Assert.All(shares.Values, share => Assert.InRange(share, 0.25, 0.42));
    }

    [Fact]
    public void Adding_a_replica_moves_only_the_keys_it_takes_over()
    {
        var before = new HashRing(Three, 160);
        var after = new HashRing([.. Three, "r-3"], 160);

        var moved = Keys.Where(k => before.Owner(k) != after.Owner(k)).ToList();

        Assert.All(moved, k => Assert.Equal("r-3", after.Owner(k)));
        Assert.InRange(moved.Count / (double)Keys.Length, 0.15, 0.35);
    }

    [Fact]
    public void An_idle_pool_sends_a_key_to_its_own_replica()
    {
        var ring = new HashRing(Three, 160);

        var choices = Keys.Take(200).Select(k => (Key: k, Choice: BoundedLoad.Choose(ring, k, _ => 0, 1.25))).ToList();

        Assert.All(choices, c => Assert.Equal((ring.Owner(c.Key), false), (ring.Replicas[c.Choice.Replica], c.Choice.Spilled)));
    }

    [Fact]
    public void A_replica_at_the_bound_still_takes_its_key_and_one_above_it_spills_to_the_next_on_the_ring()
    {
        var ring = new HashRing(Three, 160);
        var key = Keys[0];
        var order = ring.Walk(key).Select(i => ring.Replicas[i]).ToList();

        // 4 calls in flight + this one over 3 replicas: the bound is ceil(1.25 × 5 / 3) = 3.
        var within = BoundedLoad.Choose(ring, key, Loads((order[0], 2), (order[1], 1), (order[2], 1)), 1.25);
        // 5 calls + this one: the bound is ceil(1.25 × 6 / 3) = 3, and the key's own replica would hold 4.
        var above = BoundedLoad.Choose(ring, key, Loads((order[0], 3), (order[1], 1), (order[2], 1)), 1.25);

        Assert.Equal((order[0], false), (ring.Replicas[within.Replica], within.Spilled));
        Assert.Equal((order[1], true), (ring.Replicas[above.Replica], above.Spilled));
    }

    [Fact]
    public void A_spill_skips_every_replica_above_the_bound()
    {
        var ring = new HashRing(Three, 160);
        var key = Keys[1];
        var order = ring.Walk(key).Select(i => ring.Replicas[i]).ToList();

        var choice = BoundedLoad.Choose(ring, key, Loads((order[0], 4), (order[1], 4), (order[2], 0)), 1.25);

        Assert.Equal((order[2], true), (ring.Replicas[choice.Replica], choice.Spilled));
    }

    [Fact]
    public void Under_sustained_load_no_replica_holds_more_than_the_bound()
    {
        var ring = new HashRing(Three, 160);
        var loads = Three.ToDictionary(r => r, _ => 0);
        var hot = Keys[2];

        // Every call has the same key, the worst case for plain consistent hashing: it would all go to one replica.
        for (var call = 1; call <= 60; call++)
        {
            var choice = BoundedLoad.Choose(ring, hot, r => loads[r], 1.25);
            loads[ring.Replicas[choice.Replica]]++;
            Assert.True(loads.Values.Max() <= BoundedLoad.Bound(call, 3, 1.25), $"after {call} calls: {string.Join(", ", loads)}");
        }
    }

    [Theory]
    [InlineData(1, 2, 1)]
    [InlineData(3, 2, 2)]
    [InlineData(8, 2, 5)]
    [InlineData(6, 3, 3)]
    public void The_bound_is_the_ceiling_of_the_factor_times_the_average(int calls, int replicas, int bound) =>
        Assert.Equal(bound, BoundedLoad.Bound(calls, replicas, 1.25));
}
