using System.Net;
using System.Net.Http.Json;
using AgentCloud.Tests.Shared;

namespace AgentCloud.SandboxBroker.Tests;

[Collection(BrokerCollection.Name)]
public sealed class CapabilityTests(BrokerFixture fixture)
{
    [Fact]
    public async Task A_key_without_the_sandbox_capability_cannot_create_list_or_use_sandboxes()
    {
        var owner = fixture.Broker.ClientFor("cap-owner");
        var sandbox = await owner.CreateSandboxAsync();
        var inferenceOnly = fixture.Broker.CreateClient().As(TestTenantContexts.Tenant("cap-owner", "pro", "inference", "memory:read"));

        var attempts = new[]
        {
            await inferenceOnly.PostAsJsonAsync("/v1/sandboxes", new { }),
            await inferenceOnly.GetAsync("/v1/sandboxes"),
            await inferenceOnly.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "true" } }),
            await inferenceOnly.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/x"),
            await inferenceOnly.DeleteAsync($"/v1/sandboxes/{sandbox.Id}"),
        };

        Assert.All(attempts, r =>
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        });
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/v1/sandboxes/{sandbox.Id}")).StatusCode);
    }
}
