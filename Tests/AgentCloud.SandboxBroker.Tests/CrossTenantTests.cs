using System.Net.Http.Json;
using System.Text.Json;

namespace AgentCloud.SandboxBroker.Tests;

[Collection(BrokerCollection.Name)]
public sealed class CrossTenantTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    [Fact]
    public async Task Tenant_B_using_tenant_A_sandbox_id_gets_404_on_every_endpoint_and_nothing_changes()
    {
        var a = Broker.ClientFor("xt-alpha");
        var b = Broker.ClientFor("xt-bravo");
        var sandbox = await a.CreateSandboxAsync();
        using (var put = await a.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/secret.txt", new StringContent("alpha-secret"))) { put.EnsureSuccessStatusCode(); }
        var url = $"/v1/sandboxes/{sandbox.Id}";

        var attempts = new List<HttpResponseMessage>
        {
            await b.GetAsync(url),
            await b.PostAsJsonAsync($"{url}/exec", new { command = new[] { "cat", "secret.txt" } }),
            await b.GetAsync($"{url}/files/secret.txt"),
            await b.PutAsync($"{url}/files/secret.txt", new StringContent("bravo-was-here")),
            await b.DeleteAsync(url),
        };
        var listed = await b.GetStringAsync("/v1/sandboxes");

        foreach (var response in attempts)
        {
            await BrokerCalls.AssertProblemAsync(response, 404);
            Assert.DoesNotContain("alpha-secret", await response.Content.ReadAsStringAsync());
            response.Dispose();
        }
        Assert.DoesNotContain(sandbox.Id, listed);
        Assert.Equal("alpha-secret", await a.GetStringAsync($"{url}/files/secret.txt"));
        using var stillThere = await a.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.OK, stillThere.StatusCode);
    }

    [Fact]
    public async Task A_tenant_lists_only_its_own_sandboxes()
    {
        var a = Broker.ClientFor("xt-list-a");
        var b = Broker.ClientFor("xt-list-b");
        var mine = await a.CreateSandboxAsync();
        var theirs = await b.CreateSandboxAsync();

        var listed = JsonSerializer.Deserialize<SandboxDto[]>(await a.GetStringAsync("/v1/sandboxes"), JsonSerializerOptions.Web)!;

        Assert.Equal([mine.Id], listed.Select(s => s.Id));
        Assert.DoesNotContain(theirs.Id, listed.Select(s => s.Id));
    }
}
