using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.InferenceRouter.Tests;

/// <summary>Fallback and cache-isolation placement as pure catalogue rules: a failing endpoint never moves a tenant somewhere it may not go.</summary>
public sealed class EndpointFallbackTests
{
    private static UpstreamEndpoint Endpoint(string name, string placement = "shared", string? tenant = null, string? tier = null, bool salt = true) =>
        new(name, new Uri($"http://{name}/v1"), new HashSet<string> { "m" }, WireNames.Parse<InferencePlacement>(placement), tenant, tier, "key", "Authorization")
        {
            Kind = salt ? EndpointKind.Vllm : EndpointKind.OpenAi,
            SupportsCacheSalt = salt,
        };

    private static TenantPolicy Policy(string id, string tier, KvCachePolicy? kv = null) => new()
    {
        TenantId = id,
        Tier = tier,
        InferencePlacement = tier == "enterprise" ? InferencePlacement.Dedicated : InferencePlacement.Shared,
        KvCachePolicy = kv ?? (tier == "enterprise" ? KvCachePolicy.Dedicated : KvCachePolicy.Isolated),
    };

    private static readonly UpstreamEndpoint[] Catalogue =
    [
        Endpoint("shared-0"), Endpoint("shared-1"), Endpoint("openai-shared", salt: false),
        Endpoint("own", "dedicated", tenant: "acme"),
        Endpoint("pool-0", "dedicated", tier: "enterprise"), Endpoint("pool-1", "dedicated", tier: "enterprise"),
    ];

    private static List<string> FallbackChain(EndpointCatalogue catalogue, TenantPolicy policy)
    {
        var tried = new List<string>();
        for (var route = catalogue.Select(policy, "m"); route is not null; route = catalogue.Fallback(policy, "m", tried))
        {
            tried.Add(route.Endpoint.Name);
        }
        return tried;
    }

    [Fact]
    public void A_shared_tenant_falls_back_only_across_the_salted_shared_pool_and_then_stops()
    {
        var chain = FallbackChain(new EndpointCatalogue(Catalogue, new EndpointLoad()), Policy("t1", "pro"));

        Assert.Equal(["shared-0", "shared-1"], chain.Order());
    }

    [Fact]
    public void A_tenant_that_accepts_a_shared_cache_may_also_fall_back_onto_the_openai_endpoint()
    {
        var chain = FallbackChain(new EndpointCatalogue(Catalogue, new EndpointLoad()), Policy("t2", "pro", KvCachePolicy.Shared));

        Assert.Equal(["openai-shared", "shared-0", "shared-1"], chain.Order());
    }

    [Fact]
    public void A_dedicated_tenant_falls_back_from_its_own_endpoint_to_its_tiers_pool_never_to_the_shared_pool()
    {
        var chain = FallbackChain(new EndpointCatalogue(Catalogue, new EndpointLoad()), Policy("acme", "enterprise"));

        Assert.Equal("own", chain[0]);
        Assert.Equal(["own", "pool-0", "pool-1"], chain.Order());
    }

    [Fact]
    public void Another_enterprise_tenant_never_falls_back_onto_acmes_own_endpoint()
    {
        var chain = FallbackChain(new EndpointCatalogue(Catalogue, new EndpointLoad()), Policy("globex", "enterprise"));

        Assert.Equal(["pool-0", "pool-1"], chain.Order());
    }

    [Fact]
    public void A_tenants_own_endpoint_without_salt_support_is_still_isolated_for_it()
    {
        UpstreamEndpoint[] endpoints = [Endpoint("own-openai", "dedicated", tenant: "acme", salt: false)];
        var catalogue = new EndpointCatalogue(endpoints, new EndpointLoad());

        Assert.Equal("own-openai", catalogue.Select(Policy("acme", "enterprise"), "m")!.Endpoint.Name);
        Assert.Null(catalogue.Select(Policy("globex", "enterprise"), "m"));
    }

    [Fact]
    public void A_tier_pool_without_salt_support_is_refused_to_tenants_needing_isolation_and_says_why()
    {
        UpstreamEndpoint[] endpoints = [Endpoint("pool-openai", "dedicated", tier: "enterprise", salt: false)];
        var catalogue = new EndpointCatalogue(endpoints, new EndpointLoad());

        Assert.Null(catalogue.Select(Policy("acme", "enterprise"), "m"));
        Assert.True(catalogue.OnlySharedCacheServes(Policy("acme", "enterprise"), "m"));
        Assert.NotNull(catalogue.Select(Policy("acme", "enterprise", KvCachePolicy.Shared), "m"));
    }
}
