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

    [Fact]
    public async Task The_console_reaches_the_platform_only_through_the_gateway_which_serves_it()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentCloud_AppHost>(AppHostArgs.Local().ToArgs());

        var console = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "console"));
        var gateway = await ModelEnvironment.Of(builder.Resources.Single(r => r.Name == "gateway"));

        Assert.Equal("http://gateway", console["Console__GatewayUrl"]);
        Assert.True(console.ContainsKey("services__gateway__http__0"));
        // No store, no other service, no platform secret: it holds only what its signed-in users give it.
        Assert.DoesNotContain(console.Keys, k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal));
        Assert.DoesNotContain(console.Keys, k => k.StartsWith("services__", StringComparison.Ordinal) && k != "services__gateway__http__0");
        Assert.DoesNotContain(console.Values, v => v.Contains("key.value}", StringComparison.Ordinal));
        Assert.True(gateway.ContainsKey("services__console__http__0"));
    }

    [Fact]
    public async Task The_gateway_row_links_the_console_and_the_api_reference_and_offers_to_run_the_demo_again_while_it_runs()
    {
        var args = AppHostArgs.Local();
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentCloud_AppHost>(args.ToArgs());
        var gateway = Assert.IsType<ProjectResource>(builder.Resources.Single(r => r.Name == "gateway"));
        var urls = new List<ResourceUrlAnnotation>
        {
            new() { Url = $"http://127.0.0.1:{args.GatewayPort}", Endpoint = new EndpointReference(gateway, "http") },
        };

        foreach (var callback in gateway.Annotations.OfType<ResourceUrlsCallbackAnnotation>())
        {
            await callback.Callback(new ResourceUrlsCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), gateway, urls));
        }

        var links = urls.ToDictionary(u => u.DisplayText ?? "", u => u.Url);
        Assert.Equal($"http://127.0.0.1:{args.GatewayPort}/console/", links["Console"]);
        Assert.Equal($"http://127.0.0.1:{args.GatewayPort}/docs/", links["API reference"]);
        var command = Assert.Single(gateway.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "run-demo");
        Assert.Equal("Run demo workload", command.DisplayName);
        Assert.Equal(ResourceCommandState.Enabled, command.UpdateState(StateOf(KnownResourceStates.Running)));
        Assert.Equal(ResourceCommandState.Disabled, command.UpdateState(StateOf(KnownResourceStates.Starting)));
    }

    private static UpdateCommandStateContext StateOf(string state) => new()
    {
        ResourceSnapshot = new CustomResourceSnapshot { ResourceType = "Project", Properties = [], State = state },
        Services = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(
            new Microsoft.Extensions.DependencyInjection.ServiceCollection()),
    };
}
