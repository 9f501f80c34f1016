using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.InferenceRouter.Tests;

public sealed class EndpointCatalogueTests
{
    private static UpstreamEndpoint Endpoint(string name, string placement = "shared", string? tenant = null, string? tier = null) =>
        new(name, new Uri($"http://{name}/v1"), new HashSet<string> { "m" }, WireNames.Parse<InferencePlacement>(placement), tenant, tier, "key", "Authorization");

    private static TenantPolicy Policy(string id, string tier) => new()
    {
        TenantId = id,
        Tier = tier,
        InferencePlacement = tier == "enterprise" ? InferencePlacement.Dedicated : InferencePlacement.Shared,
        KvCachePolicy = tier == "enterprise" ? KvCachePolicy.Dedicated : KvCachePolicy.Isolated,
    };

    private static readonly UpstreamEndpoint[] Catalogue =
    [
        Endpoint("shared-0"), Endpoint("shared-1"),
        Endpoint("own", "dedicated", tenant: "acme"),
        Endpoint("pool-0", "dedicated", tier: "enterprise"), Endpoint("pool-1", "dedicated", tier: "enterprise"), Endpoint("pool-2", "dedicated", tier: "enterprise"),
    ];

    [Fact]
    public void Non_dedicated_tenants_only_ever_get_shared_endpoints()
    {
        var catalogue = new EndpointCatalogue(Catalogue, new EndpointLoad());

        var chosen = Enumerable.Range(0, 50).Select(i => catalogue.Select(Policy($"t{i}", i % 2 == 0 ? "free" : "pro"), "m")!).ToList();

        Assert.All(chosen, r => Assert.True(r.Endpoint.IsShared));
        Assert.All(chosen, r => Assert.Equal(InferencePlacement.Shared, r.Placement));
    }

    [Fact]
    public void A_tenant_with_its_own_endpoint_gets_it_exclusively()
    {
        var catalogue = new EndpointCatalogue(Catalogue, new EndpointLoad());

        var route = catalogue.Select(Policy("acme", "enterprise"), "m")!;

        Assert.Equal(("own", true), (route.Endpoint.Name, route.ExclusiveToTenant));
    }

    [Fact]
    public void Enterprise_tenants_are_pinned_by_hash_and_spread_over_the_tier_pool()
    {
        var catalogue = new EndpointCatalogue(Catalogue, new EndpointLoad());

        var pins = Enumerable.Range(0, 60).Select(i => catalogue.Select(Policy($"ent-{i}", "enterprise"), "m")!.Endpoint.Name).ToList();
        var again = Enumerable.Range(0, 60).Select(i => catalogue.Select(Policy($"ent-{i}", "enterprise"), "m")!.Endpoint.Name).ToList();

        Assert.Equal(pins, again);
        Assert.Equal(["pool-0", "pool-1", "pool-2"], pins.Distinct().Order());
    }

    [Fact]
    public void A_dedicated_tenant_never_falls_back_to_the_shared_pool()
    {
        var catalogue = new EndpointCatalogue([Endpoint("shared-0")], new EndpointLoad());

        Assert.Null(catalogue.Select(Policy("ent", "enterprise"), "m"));
    }

    [Fact]
    public void The_shared_pool_prefers_the_endpoint_with_the_fewest_requests_in_flight()
    {
        var load = new EndpointLoad();
        var catalogue = new EndpointCatalogue([Endpoint("shared-0"), Endpoint("shared-1")], load);
        using var busy = load.Enter("shared-0");

        var chosen = Enumerable.Range(0, 10).Select(_ => catalogue.Select(Policy("t", "free"), "m")!.Endpoint.Name).Distinct().ToList();

        Assert.Equal(["shared-1"], chosen);
    }

    [Fact]
    public void An_idle_shared_pool_takes_turns()
    {
        var catalogue = new EndpointCatalogue([Endpoint("shared-0"), Endpoint("shared-1")], new EndpointLoad());

        var chosen = Enumerable.Range(0, 4).Select(_ => catalogue.Select(Policy("t", "free"), "m")!.Endpoint.Name).ToList();

        Assert.Equal(2, chosen.Count(c => c == "shared-0"));
        Assert.Equal(2, chosen.Count(c => c == "shared-1"));
    }
}
