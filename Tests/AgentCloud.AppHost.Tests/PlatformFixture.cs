using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// The whole platform started once for a collection of end-to-end tests, in local mode (real redis-server and
/// postgres executables), and waited on until every service and store reports healthy.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public static readonly string[] Services = ["gateway", "controlplane", "inference-router", "sandbox-broker", "usage-aggregator", "memory", "model-simulator", "model-simulator-2", "model-simulator-dedicated", "tools", "sample-tools"];
    public static readonly string[] Stores = ["redis-server", "postgres"];

    public AppHostArgs Args { get; } = AppHostArgs.Local();

    public DistributedApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("ASPIRE_ALLOW_UNSECURED_TRANSPORT", "true");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentCloud_AppHost>(
            Args.ToArgs("--AgentCloud:QdrantPath="),
            (options, _) => options.DisableDashboard = true);
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        App = await builder.BuildAsync();
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await App.StartAsync(startup.Token);
        foreach (var name in Stores.Concat(Services))
        {
            await PlatformReplicas.WaitUntilEveryOneHealthyAsync(App, name, startup.Token);
        }
    }

    public HttpClient Gateway() => new() { BaseAddress = new Uri($"http://127.0.0.1:{Args.GatewayPort}") };

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
        try
        {
            Directory.Delete(Args.StateDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // best effort: a temp folder
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
