using System.Text.Json;
using AgentCloud.SandboxBroker.Isolation;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>The broker as deployed without a cluster: the kubernetes level is listed beside the ladder, unavailable with its reason.</summary>
[Collection(BrokerCollection.Name)]
public sealed class KubernetesCapabilityTests(BrokerFixture fixture)
{
    [Fact]
    public async Task Capabilities_list_the_kubernetes_level_as_unavailable_with_why()
    {
        var client = fixture.Broker.ClientFor("kube-caps");

        using var doc = JsonDocument.Parse(await client.GetStringAsync("/v1/sandboxes/capabilities"));

        var kubernetes = Assert.Single(doc.RootElement.GetProperty("clusters").EnumerateArray());
        Assert.Equal("kubernetes", kubernetes.GetProperty("level").GetString());
        Assert.False(kubernetes.GetProperty("available").GetBoolean());
        Assert.Contains("SandboxBroker:Kubernetes:Enabled=true", kubernetes.GetProperty("reason").GetString());
        Assert.DoesNotContain(doc.RootElement.GetProperty("levels").EnumerateArray(), l => l.GetProperty("level").GetString() == "kubernetes");
    }

    [Fact]
    public async Task Health_details_include_the_kubernetes_level()
    {
        using var anonymous = fixture.Broker.CreateClient();

        var text = await (await anonymous.GetAsync("/health")).Content.ReadAsStringAsync();

        Assert.Contains("kubernetes: unavailable (no cluster configured", text);
        Assert.False(fixture.Broker.Services.GetRequiredService<IsolationCatalog>().Clusters.Single().Available);
    }
}
