using System.Text.Json.Nodes;
using AgentCloud.Memory.Domain;

namespace AgentCloud.Memory.Tests;

public sealed class PayloadFilterTests
{
    [Theory]
    [InlineData("""{"tenant_id": "b"}""", "reserved")]
    [InlineData("""{"TENANT_ID": "b"}""", "reserved")]
    [InlineData("""{"$or": [{"topic": "x"}]}""", "$or")]
    [InlineData("""{"topic": {"$ne": "x"}}""", "$in")]
    [InlineData("""{"topic": {"$in": []}}""", "1 to 100")]
    [InlineData("""{"topic": null}""", "string, number or boolean")]
    [InlineData("""{"topic": {"nested": "x"}}""", "$in")]
    [InlineData("""{"topic": ["x"]}""", "string, number or boolean")]
    [InlineData("""{"a.b": "x"}""", "not a valid name")]
    public void Filters_that_could_reach_beyond_payload_equality_are_refused(string filter, string mentions)
    {
        var e = Assert.Throws<MemoryException>(() => PayloadFilter.Parse(JsonNode.Parse(filter)!.AsObject()));

        Assert.Equal(400, e.Status);
        Assert.Contains(mentions, e.Message);
    }

    [Fact]
    public void Equality_and_in_lists_become_anded_conditions()
    {
        var filter = PayloadFilter.Parse(JsonNode.Parse("""{"topic": "x", "year": {"$in": [2023, 2024]}}""")!.AsObject());

        Assert.Collection(filter.Conditions,
            c => Assert.Equal(("topic", 1), (c.Field, c.AnyOf.Count)),
            c => Assert.Equal(("year", 2), (c.Field, c.AnyOf.Count)));
    }

    [Fact]
    public void Store_ids_differ_by_tenant_and_collection_and_are_stable()
    {
        var a = PointIds.StoreId(new CollectionKey("a", "notes"), "1");

        Assert.Equal(a, PointIds.StoreId(new CollectionKey("a", "notes"), "1"));
        Assert.NotEqual(a, PointIds.StoreId(new CollectionKey("b", "notes"), "1"));
        Assert.NotEqual(a, PointIds.StoreId(new CollectionKey("a", "other"), "1"));
        Assert.NotEqual(a, PointIds.StoreId(new CollectionKey("a", "notes"), "\"1\""));
        Assert.NotEqual(PointIds.StoreId(new CollectionKey("a:b", "c"), "1"), PointIds.StoreId(new CollectionKey("a", "b:c"), "1"));
    }
}
