namespace AgentCloud.AppHost.Tests;

/// <summary>
/// What the dashboard offers beside the services, in the model (built, not started): the demo workload as a resource
/// started on demand, with the operator key in its environment only, and kept out of a deployment's manifest.
/// </summary>
public sealed class DashboardResourceTests
{
    [Fact]
    public async Task The_demo_workload_is_started_on_demand_against_this_runs_gateway_and_is_not_deployed()
    {
        var args = AppHostArgs.Local();
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentCloud_AppHost>(args.ToArgs());

        var demo = Assert.IsType<ProjectResource>(builder.Resources.Single(r => r.Name == "demo"));

        Assert.Single(demo.Annotations.OfType<ExplicitStartupAnnotation>());
        Assert.Contains(demo.Annotations.OfType<ManifestPublishingCallbackAnnotation>(), a => a.Callback is null);
        Assert.Contains(demo.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "gateway");
        var env = await ModelEnvironment.Of(demo);
        Assert.Equal("{admin-key.value}", env["AGENTCLOUD_KEY"]);
        Assert.Equal("{gateway.bindings.http.url}", env["AGENTCLOUD_URL"]);
#pragma warning disable CS0618 // the bare model's arguments, as ModelEnvironment reads its environment
        var arguments = await demo.GetArgumentValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
        Assert.Equal(["demo", "--tool-server", "{sample-tools.bindings.http.url}/mcp"], arguments);
        Assert.DoesNotContain(arguments, a => a.Contains("admin-key", StringComparison.Ordinal));
    }
}
