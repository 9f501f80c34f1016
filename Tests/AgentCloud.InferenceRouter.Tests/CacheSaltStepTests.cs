using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Tests;

public sealed class CacheSaltStepTests
{
    private static readonly IOptions<InferenceRouterOptions> Options =
        Microsoft.Extensions.Options.Options.Create(new InferenceRouterOptions { CacheSaltSecret = "a-router-secret-of-enough-length" });

    private static async Task<string?> SaltSentUpstreamAsync(string tenant, string kvCache, string? clientSalt)
    {
        var body = new JsonObject { ["model"] = "m" };
        if (clientSalt is not null) body["cache_salt"] = clientSalt;
        var call = new InferenceCall
        {
            Context = TestTenantContexts.Tenant(tenant),
            Kind = InferenceKind.Chat,
            Model = "m",
            Body = body,
            PromptTokens = 1,
            InputTokens = 1,
            StartedAt = DateTimeOffset.UnixEpoch,
            Policy = new TenantPolicy { TenantId = tenant, Tier = "pro", KvCachePolicy = WireNames.Parse<KvCachePolicy>(kvCache) },
        };
        Assert.Null(await new CacheSaltStep(new CacheSaltDeriver(Options), Options).AdmitAsync(call, CancellationToken.None));
        return call.Body["cache_salt"]?.GetValue<string>();
    }

    [Fact]
    public async Task Isolated_tenants_get_a_stable_salt_of_their_own_whatever_they_send()
    {
        var a1 = await SaltSentUpstreamAsync("a", "isolated", null);
        var a2 = await SaltSentUpstreamAsync("a", "isolated", "chosen-by-client");
        var b = await SaltSentUpstreamAsync("b", "isolated", a1);

        Assert.Equal(a1, a2);
        Assert.NotEqual(a1, b);
        Assert.NotEqual("chosen-by-client", a2);
    }

    [Fact]
    public async Task With_the_cache_off_every_request_gets_a_new_salt()
    {
        var first = await SaltSentUpstreamAsync("c", "off", "same");
        var second = await SaltSentUpstreamAsync("c", "off", "same");

        Assert.NotEqual(first, second);
        Assert.NotEqual("same", first);
    }

    [Fact]
    public async Task The_salt_depends_on_the_router_secret()
    {
        var other = Microsoft.Extensions.Options.Options.Create(new InferenceRouterOptions { CacheSaltSecret = "another-router-secret-entirely" });

        Assert.NotEqual(new CacheSaltDeriver(Options).ForTenant("a"), new CacheSaltDeriver(other).ForTenant("a"));
    }

    [Fact]
    public void A_remembered_salt_is_the_tenants_own_also_after_the_memory_starts_over()
    {
        var remembering = new CacheSaltDeriver(Options);
        var tenants = Enumerable.Range(0, CacheSaltDeriver.RememberedTenants + 10).Select(i => $"tenant-{i}").ToList();
        // Derived once and again from memory, past the bound and back: each answer is what a fresh deriver gives that tenant.
        foreach (var tenant in tenants.Concat(tenants.Take(20)))
        {
            Assert.Equal(new CacheSaltDeriver(Options).ForTenant(tenant), remembering.ForTenant(tenant));
        }
        Assert.NotEqual(remembering.ForTenant("tenant-1"), remembering.ForTenant("tenant-2"));
    }
}
