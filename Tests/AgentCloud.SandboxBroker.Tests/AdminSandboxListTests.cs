using System.Net;
using System.Text.Json;
using AgentCloud.Tests.Shared;

namespace AgentCloud.SandboxBroker.Tests;

[Collection(BrokerCollection.Name)]
public sealed class AdminSandboxListTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    private sealed record Row(string TenantId, string Id, string Isolation, string Template, string State, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

    private sealed record Page(Row[] Sandboxes, string? NextCursor);

    private HttpClient Operator() => Broker.CreateClient().As(TestTenantContexts.Operator);

    private async Task<Page> ListAsync(string query)
    {
        using var response = await Operator().GetAsync("/admin/v1/sandboxes" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonSerializer.Deserialize<Page>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
    }

    [Fact]
    public async Task The_operator_sees_live_sandboxes_of_every_tenant_with_their_isolation_level()
    {
        var a = await Broker.ClientFor("adm-list-a").CreateSandboxAsync();
        var b = await Broker.ClientFor("adm-list-b").CreateSandboxAsync();

        var all = await ListAsync("?limit=500");
        var onlyB = await ListAsync("?tenantId=adm-list-b");

        var rowA = Assert.Single(all.Sandboxes, r => r.Id == a.Id);
        Assert.Equal(("adm-list-a", a.Isolation, "running"), (rowA.TenantId, rowA.Isolation, rowA.State));
        Assert.Contains(all.Sandboxes, r => r.Id == b.Id && r.TenantId == "adm-list-b");
        Assert.True(rowA.ExpiresAt > rowA.CreatedAt);
        Assert.Equal([b.Id], onlyB.Sandboxes.Select(r => r.Id));
    }

    [Fact]
    public async Task Pages_follow_the_cursor_without_repeating_or_skipping_a_sandbox()
    {
        var tenant = Broker.ClientFor("adm-pages");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await tenant.CreateSandboxAsync()).Id);
        }

        var first = await ListAsync("?tenantId=adm-pages&limit=2");
        var second = await ListAsync($"?tenantId=adm-pages&limit=2&cursor={first.NextCursor}");

        Assert.Equal(2, first.Sandboxes.Length);
        Assert.NotNull(first.NextCursor);
        Assert.Null(second.NextCursor);
        Assert.Equal(ids.Order(StringComparer.Ordinal), first.Sandboxes.Concat(second.Sandboxes).Select(r => r.Id));
    }

    [Fact]
    public async Task A_tenant_context_that_reaches_the_broker_is_refused_and_sees_no_row()
    {
        var victim = await Broker.ClientFor("adm-victim").CreateSandboxAsync();
        var tenant = Broker.ClientFor("adm-attacker");

        using var response = await tenant.GetAsync("/admin/v1/sandboxes?tenantId=adm-victim");

        await BrokerCalls.AssertProblemAsync(response, 403);
        Assert.DoesNotContain(victim.Id, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=501")]
    [InlineData("?limit=ten")]
    [InlineData("?cursor=%21%21%21")]
    [InlineData("?cursor=bm9uZXdsaW5l")]
    public async Task Bad_paging_gets_an_actionable_400(string query)
    {
        using var response = await Operator().GetAsync("/admin/v1/sandboxes" + query);

        await BrokerCalls.AssertProblemAsync(response, 400);
    }
}
