using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Tests.Hosting;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Tests;

/// <summary>
/// The prompt-cache timing side channel (arXiv 2409.20002): tenant B sends tenant A's secret prefix and watches for a
/// cache hit or a faster first token. Asserted on cached_tokens and the simulator's modelled time to first token,
/// never on wall-clock time.
/// </summary>
[Collection(RouterCollection.Name)]
public sealed class SideChannelTests(RouterPlatform platform)
{
    /// <summary>A's secret, and a fresh prompt of exactly the same shape that nobody has sent (its first token differs).</summary>
    private static (string Secret, string Fresh) Prompts()
    {
        var body = $" confidential {Guid.NewGuid():N}: the merger with Northwind closes on the 14th at 41 dollars a share. "
            + string.Join(' ', Enumerable.Repeat("Keep this between the board members only.", 12));
        return ("A" + body, "Q" + body);
    }

    private sealed record Probe(int CachedTokens, double TtftMs, int PromptTokens);

    private static async Task<Probe> SendAsync(HttpClient client, string prompt, string? clientSalt = null)
    {
        var answer = await Chat.CompleteAsync(client, Chat.Body(prompt, extra: b =>
        {
            if (clientSalt is not null) b["cache_salt"] = clientSalt;
        }));
        return new Probe(Chat.CachedTokens(answer), Chat.ModelledTtftMs(answer), Chat.PromptTokens(answer));
    }

    [Fact]
    public async Task With_isolation_another_tenant_sees_no_cached_tokens_and_no_faster_first_token()
    {
        var (secret, fresh) = Prompts();
        using var a = platform.IsolatedRouter.ClientFor(platform.Policies.Add("free"));
        using var b = platform.IsolatedRouter.ClientFor(platform.Policies.Add("free"));

        await SendAsync(a, secret);
        var aAgain = await SendAsync(a, secret);
        var probe = await SendAsync(b, secret);
        var baseline = await SendAsync(b, fresh);

        // The cache does work for A itself, so B's zero below is the isolation, not a cold cache.
        Assert.True(aAgain.CachedTokens > 0);
        Assert.True(aAgain.TtftMs < baseline.TtftMs);
        Assert.Equal(baseline.PromptTokens, probe.PromptTokens);
        Assert.Equal(0, probe.CachedTokens);
        Assert.True(probe.TtftMs >= baseline.TtftMs, $"probe {probe.TtftMs} ms vs fresh {baseline.TtftMs} ms");
    }

    [Fact]
    public async Task Without_salting_the_same_probe_sees_the_hit_so_the_test_can_fail()
    {
        var (secret, fresh) = Prompts();
        using var a = platform.NaiveRouter.ClientFor(platform.Policies.Add("free"));
        using var b = platform.NaiveRouter.ClientFor(platform.Policies.Add("free"));

        await SendAsync(a, secret);
        var probe = await SendAsync(b, secret);
        var baseline = await SendAsync(b, fresh);

        Assert.True(probe.CachedTokens > 100, $"the probe saw {probe.CachedTokens} cached tokens");
        Assert.True(probe.TtftMs < baseline.TtftMs);
    }

    [Fact]
    public async Task A_client_supplied_salt_equal_to_the_victims_never_produces_a_hit()
    {
        var (secret, _) = Prompts();
        var victim = platform.Policies.Add("free");
        using var a = platform.IsolatedRouter.ClientFor(victim);
        // Two attackers, each probing once: a second probe by the same attacker would hit its own first probe.
        using var b = platform.IsolatedRouter.ClientFor(platform.Policies.Add("free"));
        using var c = platform.IsolatedRouter.ClientFor(platform.Policies.Add("free"));
        var victimsDerivedSalt = new CacheSaltDeriver(Options.Create(new InferenceRouterOptions { CacheSaltSecret = RouterHost.CacheSaltSecret })).ForTenant(victim.TenantId);

        await SendAsync(a, secret, clientSalt: "team-shared-salt");
        var sameClientSalt = await SendAsync(b, secret, clientSalt: "team-shared-salt");
        var stolenDerivedSalt = await SendAsync(c, secret, clientSalt: victimsDerivedSalt);

        Assert.Equal(0, sameClientSalt.CachedTokens);
        Assert.Equal(0, stolenDerivedSalt.CachedTokens);
    }

    [Fact]
    public async Task With_the_cache_off_not_even_the_tenant_itself_gets_a_hit()
    {
        var (secret, _) = Prompts();
        using var c = platform.IsolatedRouter.ClientFor(platform.Policies.Add("pro", kvCache: "off"));

        await SendAsync(c, secret);
        var again = await SendAsync(c, secret);

        Assert.Equal(0, again.CachedTokens);
    }
}
