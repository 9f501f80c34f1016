using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>The policy values are enums in code and the same words as before on the wire, and nothing else is read.</summary>
public sealed class PolicyWireTests
{
    [Fact]
    public void A_policy_is_written_with_the_wire_words_of_its_values()
    {
        var json = JsonSerializer.SerializeToNode(Tiers.Defaults("t1", Tiers.Enterprise, TestCatalogue.Simulated), JsonSerializerOptions.Web)!.AsObject();

        Assert.Equal("open", json["rateLimitFailMode"]!.GetValue<string>());
        Assert.Equal("dedicated", json["inferencePlacement"]!.GetValue<string>());
        Assert.Equal("dedicated", json["kvCachePolicy"]!.GetValue<string>());
        Assert.Equal("dedicated-collection", json["memoryIsolation"]!.GetValue<string>());
    }

    [Fact]
    public void A_policy_read_from_the_wire_has_the_values_it_names()
    {
        var free = JsonSerializer.SerializeToNode(Tiers.Defaults("t2", Tiers.Free, TestCatalogue.Simulated), JsonSerializerOptions.Web)!.AsObject();
        free["kvCachePolicy"] = "off";

        var read = JsonSerializer.Deserialize<TenantPolicy>(free.ToJsonString(), JsonSerializerOptions.Web)!;

        Assert.Equal(RateLimitFailMode.Closed, read.RateLimitFailMode);
        Assert.Equal(KvCachePolicy.Off, read.KvCachePolicy);
        Assert.Equal(MemoryIsolation.SharedCollection, read.MemoryIsolation);
    }

    [Theory]
    [InlineData("rateLimitFailMode", "\"sometimes\"")]
    [InlineData("rateLimitFailMode", "1")]
    [InlineData("memoryIsolation", "\"SharedCollection\"")]
    [InlineData("kvCachePolicy", "\"none\"")]
    public void A_policy_value_outside_the_wire_words_is_refused_rather_than_guessed(string field, string value)
    {
        var json = JsonSerializer.SerializeToNode(Tiers.Defaults("t3", Tiers.Pro, TestCatalogue.Simulated), JsonSerializerOptions.Web)!.AsObject();
        json[field] = JsonNode.Parse(value);

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TenantPolicy>(json.ToJsonString(), JsonSerializerOptions.Web));
    }

    [Fact]
    public void Every_wire_word_names_one_value_and_back()
    {
        foreach (var word in WireNames.All<MemoryIsolation>())
        {
            Assert.True(WireNames.TryParse<MemoryIsolation>(word, out var value));
            Assert.Equal(word, WireNames.Of(value));
        }
        Assert.False(WireNames.TryParse<RateLimitFailMode>("Open", out _));
    }
}
