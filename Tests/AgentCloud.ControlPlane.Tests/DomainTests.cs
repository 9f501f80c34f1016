using AgentCloud.Platform.Contracts;
using System.Security.Cryptography;
using System.Text;
using AgentCloud.ControlPlane.Domain;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>The pure pieces, without a database: key format, sealing, the audit chain, tier composition.</summary>
public sealed class DomainTests
{
    [Fact]
    public void Generated_keys_parse_back_to_their_prefix_and_match_only_their_own_hash()
    {
        var (prefix, key) = ApiKeyFormat.Generate();
        var (_, other) = ApiKeyFormat.Generate();

        Assert.True(ApiKeyFormat.TryGetPrefix(key, out var parsed));
        Assert.Equal(prefix, parsed);
        Assert.True(ApiKeyFormat.Matches(key, ApiKeyFormat.Hash(key)));
        Assert.False(ApiKeyFormat.Matches(other, ApiKeyFormat.Hash(key)));
    }

    [Theory]
    [InlineData("ac_ABCDEFGHIJKL_0123456789012345678901234567890123456789")]
    [InlineData("xx_abcdefghijkl_0123456789012345678901234567890123456789")]
    [InlineData("ac_abcdefghijkl_01234567890123456789012345678901234567_9")]
    [InlineData("ac_abcdefghijkl_012345678901234567890123456789012345678")]
    public void Malformed_keys_have_no_prefix(string key) => Assert.False(ApiKeyFormat.TryGetPrefix(key, out _));

    [Fact]
    public void A_sealed_secret_opens_only_with_its_own_key_and_binding()
    {
        var key = EnvelopeCipher.NewKey();
        var sealedData = EnvelopeCipher.Seal(key, "hunter2"u8, "tenant-a\ngithub"u8);

        Assert.Equal("hunter2", Encoding.UTF8.GetString(EnvelopeCipher.Open(key, sealedData, "tenant-a\ngithub"u8)));
        Assert.ThrowsAny<CryptographicException>(() => EnvelopeCipher.Open(key, sealedData, "tenant-b\ngithub"u8));
        Assert.ThrowsAny<CryptographicException>(() => EnvelopeCipher.Open(EnvelopeCipher.NewKey(), sealedData, "tenant-a\ngithub"u8));
    }

    [Fact]
    public void A_chain_verifies_and_a_reordered_chain_does_not()
    {
        var links = Chain("t1", 3);

        Assert.True(AuditChain.Verify(links, (3, links[^1].Hash)).Verified);
        var swapped = new[] { links[0], links[2], links[1] };
        var verdict = AuditChain.Verify(swapped, (3, links[^1].Hash));
        Assert.False(verdict.Verified);
        Assert.Equal(2, verdict.BrokenAt);
    }

    [Fact]
    public void A_link_moved_to_another_tenant_breaks_the_chain()
    {
        var links = Chain("t1", 2);
        var moved = links.Select(l => l with { TenantId = "t2" }).ToList();

        Assert.Equal(1, AuditChain.Verify(moved, null).BrokenAt);
    }

    [Fact]
    public void Overrides_apply_over_tier_defaults_field_by_field()
    {
        var overrides = PolicyOverrides.None
            .Then(new LimitOverrides { RequestsPerMinute = 5 }, null)
            .Then(null, new IsolationOverrides { KvCachePolicy = "off" })
            .Then(new LimitOverrides { TokensPerMinute = 7 }, null);

        var policy = overrides.ApplyTo(Tiers.Defaults("t", Tiers.Enterprise, TestCatalogue.Simulated));

        Assert.Equal(5, policy.RequestsPerMinute);
        Assert.Equal(7, policy.TokensPerMinute);
        Assert.Equal(KvCachePolicy.Off, policy.KvCachePolicy);
        Assert.Equal(InferencePlacement.Dedicated, policy.InferencePlacement);
        Assert.Equal(300, policy.RequestBurst);
    }

    private static List<AuditLink> Chain(string tenant, int count)
    {
        var links = new List<AuditLink>();
        var previous = AuditChain.Genesis;
        for (var i = 1; i <= count; i++)
        {
            var at = AuditChain.Normalize(DateTimeOffset.UnixEpoch.AddMinutes(i));
            var hash = AuditChain.HashOf(previous, tenant, i, at, "op", "a" + i, "{}");
            links.Add(new AuditLink(tenant, i, at, "op", "a" + i, "{}", previous, hash));
            previous = hash;
        }
        return links;
    }
}
